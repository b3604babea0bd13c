import { RewindError } from '../errors/rewind-error.js';
import { scanDirectory } from './directory-scan.js';
import { treeDigest } from './tree-digest.js';

export interface ExpectedTree {
  /** The tree digest read from the artifact (inspectArtifact). */
  tree: string;
  /** For a directory artifact, its registered digest as well. */
  directoryDigest?: string;
}

/**
 * Checks that an unpacked release is exactly the tree that was checked and registered: its tree
 * digest (and, for a directory artifact, its directory digest) computed afresh from the files on
 * disk, RELEASE_MARKER left out. Returns the tree digest; throws REWIND_E_ARTIFACT_DIGEST_MISMATCH.
 */
export async function verifyUnpackedTree(dir: string, expected: ExpectedTree, artifact: string): Promise<string> {
  const scan = await scanDirectory(dir, { skipMarker: true });
  const tree = treeDigest(scan.entries);
  const mismatch =
    scan.violations.length > 0
      ? `holds ${scan.violations.map((v) => `${v.entry} (${v.problem})`).join(', ')}`
      : tree !== expected.tree
        ? `has tree digest ${tree}, not the ${expected.tree} read from ${artifact}`
        : expected.directoryDigest !== undefined && scan.directoryDigest !== expected.directoryDigest
          ? `has digest ${scan.directoryDigest}, not the registered ${expected.directoryDigest}`
          : null;
  if (mismatch) {
    throw new RewindError('REWIND_E_ARTIFACT_DIGEST_MISMATCH', `the unpacked copy of ${artifact} in ${dir} ${mismatch}`, { artifact, dir, expected: expected.tree, actual: tree });
  }
  return tree;
}

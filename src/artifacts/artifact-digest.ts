import { stat } from 'node:fs/promises';
import { isRewindError, RewindError } from '../errors/rewind-error.js';
import { unsafeArtifactError, type FinishedTree } from './artifact-tree.js';
import { scanDirectory } from './directory-scan.js';
import { readTarball } from './tarball-scan.js';
import { treeDigest } from './tree-digest.js';

export type ArtifactKind = 'directory' | 'tarball';

export async function artifactKind(path: string): Promise<ArtifactKind> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `artifact ${path} does not exist`, { artifact: path });
  }
  if (info.isDirectory()) return 'directory';
  if (info.isFile() && isTarballName(path)) return 'tarball';
  throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `artifact ${path} is neither a directory nor a .tgz/.tar.gz file`, { artifact: path });
}

export function isTarballName(path: string): boolean {
  return /\.(tgz|tar\.gz)$/.test(path);
}

export interface ArtifactInspection {
  kind: ArtifactKind;
  /** What the release is registered with: sha256 of a tarball's bytes, or a directory's digest. */
  digest: string;
  /** The tree digest of the release it installs (see tree-digest.ts). */
  tree: string;
  /** The folder inside a tarball that becomes the release root ('' for none or a directory). */
  root: string;
}

/**
 * Reads an artifact once, checks every entry against the artifact rules (artifact-tree.ts) and
 * computes its digest and the tree digest of what it installs. Throws REWIND_E_ARTIFACT_UNSAFE
 * naming the refused entries, REWIND_E_ARTIFACT_NOT_FOUND, or REWIND_E_ARTIFACT_UNPACK when it
 * cannot be read (a corrupt gzip stream, a permission error).
 */
export async function inspectArtifact(path: string): Promise<ArtifactInspection> {
  const kind = await artifactKind(path);
  let scan: FinishedTree & { digest: string };
  try {
    if (kind === 'directory') {
      const result = await scanDirectory(path);
      scan = { ...result, digest: result.directoryDigest };
    } else {
      scan = await readTarball(path);
    }
  } catch (error) {
    if (isRewindError(error)) throw error;
    throw new RewindError('REWIND_E_ARTIFACT_UNPACK', `cannot read artifact ${path}: ${(error as Error).message}`, { artifact: path });
  }
  if (scan.violations.length > 0) throw unsafeArtifactError(path, scan.violations);
  return { kind, digest: scan.digest, tree: treeDigest(scan.entries), root: scan.root };
}

/**
 * sha256 of an artifact: the bytes of a tarball, or for a directory a digest over its sorted tree
 * (relative path, type, mode's executable bit, content), so the same tree always gives the same digest
 * whatever the file times or the order readdir returns. Refuses an artifact that breaks the rules.
 */
export async function artifactDigest(path: string): Promise<string> {
  return (await inspectArtifact(path)).digest;
}

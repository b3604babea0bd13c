import { createHash } from 'node:crypto';
import type { TreeEntry } from './artifact-tree.js';

/** Marks a tree digest (below) apart from an artifact digest, which is plain `sha256:`. */
export const TREE_DIGEST_PREFIX = 'tree-sha256:';

/**
 * The digest of a release tree as installed: every directory, file (path, executable bit, size,
 * content sha256) and symlink (path, target), in path order. Unlike a directory artifact's digest
 * it hashes each file on its own, so it can be computed from a tarball in one pass, whatever order
 * the archive holds its entries in, and from the unpacked directory, and the two compared.
 *
 * The only tree digest. Two other directory digests exist, each a format already recorded and so
 * kept as it is: the `sha256:` a directory artifact is registered with (directory-scan.ts), and a
 * directory backup's `sha256sum`-manifest digest (adapters/databases/backup-digest.ts).
 */
export function treeDigest(entries: readonly TreeEntry[]): string {
  const hash = createHash('sha256');
  for (const entry of [...entries].sort((a, b) => comparePaths(a.path, b.path))) {
    if (entry.kind === 'directory') hash.update(`D\0${entry.path}\0`);
    else if (entry.kind === 'symlink') hash.update(`L\0${entry.path}\0${entry.target}\0`);
    else hash.update(`F\0${entry.path}\0${entry.executable ? 'x' : '-'}\0${entry.size}\0${entry.sha256}\0`);
  }
  return `${TREE_DIGEST_PREFIX}${hash.digest('hex')}`;
}

/** Component by component, a folder before what it holds: the order of a sorted depth-first walk. */
export function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! < right[i]! ? -1 : 1;
  }
  return left.length - right.length;
}

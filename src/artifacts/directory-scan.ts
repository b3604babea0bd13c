import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactTree, describeSpecialFile, RELEASE_MARKER, unsafeArtifactError, type FinishedTree } from './artifact-tree.js';
import type { TreeWriter } from './tree-writer.js';

export interface DirectoryScan extends FinishedTree {
  /**
   * The digest a directory artifact is registered with (format unchanged since the first release,
   * so recorded digests stay valid): sha256 over the sorted walk of every file (path, executable
   * bit, size, content) and symlink (path, target).
   */
  directoryDigest: string;
}

/**
 * Walks a directory without following symlinks and without opening anything but regular files
 * (lstat first; a FIFO is never opened, so it cannot hang the walk), applying the artifact rules.
 * With `writer`, copies the tree into the writer's directory as it reads, and stops at the first
 * violation. `skipMarker`: leave out the root's RELEASE_MARKER (when reading an unpacked release).
 */
export async function scanDirectory(dir: string, options: { writer?: TreeWriter; skipMarker?: boolean } = {}): Promise<DirectoryScan> {
  const { writer } = options;
  const tree = new ArtifactTree();
  const legacy = createHash('sha256');
  const stopIfRefused = () => {
    if (writer && tree.violations.length > 0) throw unsafeArtifactError(dir, tree.violations);
  };

  const walk = async (parts: string[]): Promise<void> => {
    const here = join(dir, ...parts);
    const names = (await readdir(here)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      if (options.skipMarker && parts.length === 0 && name === RELEASE_MARKER) continue;
      const relParts = [...parts, name];
      const path = relParts.join('/');
      const full = join(here, name);
      const info = await lstat(full);
      if (info.isDirectory()) {
        if (tree.add(path, 'directory')) {
          await writer?.directory(path, info.mode);
          await walk(relParts);
        }
      } else if (info.isSymbolicLink()) {
        const target = await readlink(full);
        legacy.update(`L\0${path}\0${target}\0`);
        if (tree.add(path, 'symlink', { target })) await writer?.symlink(path, target, false);
      } else if (info.isFile()) {
        legacy.update(`F\0${path}\0${info.mode & 0o111 ? 'x' : '-'}\0${info.size}\0`);
        const added = tree.add(path, 'file', { executable: (info.mode & 0o111) !== 0 });
        if (added) {
          const content = createHash('sha256');
          let size = 0;
          const sink = writer ? await writer.file(path, info.mode, false) : undefined;
          let changed: string | null;
          try {
            changed = await readRegularFile(full, async (chunk) => {
              legacy.update(chunk);
              content.update(chunk);
              size += chunk.length;
              await sink?.write(chunk);
            });
          } catch (error) {
            await sink?.abort();
            throw error;
          }
          await sink?.close();
          if (changed) tree.refuse(path, `${changed} (it was a regular file a moment before)`);
          added.node.sha256 = content.digest('hex');
          added.node.size = size;
        }
      } else {
        tree.refuse(path, describeSpecialFile(info));
      }
      stopIfRefused();
    }
  };

  await walk([]);
  const finished = tree.finish({ stripSingleRoot: false });
  stopIfRefused();
  return { ...finished, directoryDigest: `sha256:${legacy.digest('hex')}` };
}

/**
 * Streams a regular file's bytes to `onChunk`, each chunk handled before the next is read. Opened
 * with O_NOFOLLOW|O_NONBLOCK and checked with fstat, so a path swapped for a symlink, FIFO or socket
 * after the lstat is reported (as what it now is) instead of followed or waited on.
 */
export async function readRegularFile(path: string, onChunk: (chunk: Buffer) => Promise<void>): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'a symlink';
    if (code === 'ENXIO') return 'a Unix socket';
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return info.isDirectory() ? 'a directory' : describeSpecialFile(info);
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return null;
      await onChunk(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

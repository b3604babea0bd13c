import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ReadEntry } from 'tar';
import { ArtifactTree, pathParts, unsafeArtifactError, type EntryKind, type FinishedTree } from './artifact-tree.js';
import type { TreeWriter } from './tree-writer.js';

export interface TarballScan extends FinishedTree {
  /** sha256 of the tarball's bytes: what a tarball artifact is registered with. */
  digest: string;
}

export interface TarballInstall {
  writer: TreeWriter;
  /** The release root inside the archive, from an earlier scan ('' or the single top-level folder). */
  root: string;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const DIRECTORY_TYPES = new Set(['Directory', 'GNUDumpDir']);

/** A PAX header of GNU tar's sparse formats (0.0, 0.1, 1.0); node-tar drops these keys. */
const PAX_SPARSE = /(?:^|\n)\d+ GNU\.sparse\./;
const PAX_SPARSE_NAME = /(?:^|\n)\d+ GNU\.sparse\.name=([^\n]*)/;
const SPARSE = 'a GNU sparse file (tar -S / --sparse), which rewind cannot install faithfully: build the tarball without --sparse';

/**
 * Reads a gzip tarball once: the sha256 of its bytes, every entry checked against the artifact
 * rules, and each file's content hashed for the tree digest. With `install`, also writes the
 * entries under `install.root` into the writer's directory, one at a time, stopping at the first
 * violation or write error; when it returns or throws, nothing it started is still writing.
 *
 * node-tar (v7) parses the headers. It cannot install every entry faithfully, so this refuses what
 * it would lose: it skips GNU sparse entries (type 'S', made by `tar -S`) and other types it does not
 * know, and it reads a PAX-format sparse file as a plain file named GNUSparseFile.<pid>/<name>
 * holding the sparse map; devices and FIFOs it parses but does not create.
 */
export async function readTarball(file: string, install?: TarballInstall): Promise<TarballScan> {
  // Loaded when needed: commands that never read a tarball (status) do not pay for it at start-up.
  const { Parser } = await import('tar');
  const tree = new ArtifactTree();
  const bytes = createHash('sha256');
  const source = createReadStream(file);
  const parser = new Parser({ strict: true });
  const rootParts = install?.root ? install.root.split('/') : [];

  let failure: { error: unknown } | undefined;
  let current: ReadEntry | undefined;
  let work: Promise<void> = Promise.resolve();
  let sparseName: string | null = null;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));

  const fail = (error: unknown) => {
    failure ??= { error };
    settle();
    source.destroy();
    // An aborted parser never ends the entry it was reading: destroying it (without an error, which
    // would be thrown at whoever has no 'error' listener) ends its reader's wait.
    current?.destroy();
    parser.abort(error instanceof Error ? error : new Error(String(error))); // frees the gunzip stream; a no-op once aborted
  };
  const refuse = (entry: string, problem: string) => {
    tree.refuse(entry, problem);
    if (install) throw unsafeArtifactError(file, tree.violations);
  };
  /** Where an entry goes in the release, or null for the release root itself. */
  const releasePath = (parts: string[], entry: string): string | null => {
    if (parts.length < rootParts.length || rootParts.some((part, i) => parts[i] !== part)) {
      refuse(entry, `lies outside ${install!.root}/, the release root it had when checked (the tarball changed)`);
    }
    return parts.length === rootParts.length ? null : parts.slice(rootParts.length).join('/');
  };

  /** Checks (and with `install`, writes) one entry; the caller drains whatever it leaves unread. */
  const handle = async (entry: ReadEntry, sparse: string | null): Promise<void> => {
    const path = entry.path;
    if (sparse !== null) return refuse(sparse || path, SPARSE);
    let kind: EntryKind | 'hardlink';
    if (FILE_TYPES.has(entry.type)) kind = 'file';
    else if (DIRECTORY_TYPES.has(entry.type)) kind = 'directory';
    else if (entry.type === 'SymbolicLink') kind = 'symlink';
    else if (entry.type === 'Link') kind = 'hardlink';
    else return refuse(path, describeTarType(entry.type));

    const mode = entry.mode ?? (kind === 'directory' ? 0o755 : 0o644);
    const added = tree.add(path, kind, { executable: (mode & 0o111) !== 0, target: entry.linkpath });
    if (!added) {
      if (install) throw unsafeArtifactError(file, tree.violations);
      return;
    }
    if (added.parts.length === 0) return; // the archive's own `./`
    const target = install ? releasePath(added.parts, path) : null;

    if (kind === 'file') {
      const content = createHash('sha256');
      let size = 0;
      const sink = install && target !== null ? await install.writer.file(target, mode, added.replaces, entry.mtime) : undefined;
      try {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          content.update(chunk);
          size += chunk.length;
          await sink?.write(chunk);
        }
      } catch (error) {
        await sink?.abort();
        throw error;
      }
      await sink?.close();
      added.node.sha256 = content.digest('hex');
      added.node.size = size;
      return;
    }
    if (!install || target === null) return;
    if (kind === 'directory') await install.writer.directory(target, mode);
    else if (kind === 'symlink') await install.writer.symlink(target, entry.linkpath!, added.replaces);
    else await install.writer.hardlink(target, releasePath(pathParts(entry.linkpath!) as string[], path)!, added.replaces);
  };

  parser.on('meta', (text: string) => {
    if (PAX_SPARSE.test(text)) sparseName = PAX_SPARSE_NAME.exec(text)?.[1] ?? '';
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    const sparse = sparseName;
    sparseName = null;
    work = work.then(() => {
      if (failure) return;
      if (entry.type === 'SparseFile' || sparse !== null) return refuse(sparse || entry.path, SPARSE);
      refuse(entry.path, describeTarType(entry.type));
    }).catch(fail);
  });
  parser.on('entry', (entry: ReadEntry) => {
    const sparse = sparseName;
    sparseName = null;
    work = work
      .then(async () => {
        if (failure) return void entry.resume();
        current = entry;
        await handle(entry, sparse);
        current = undefined;
        entry.resume(); // drain what was not read (a refused entry, a directory's GNUDumpDir data)
      })
      .catch(fail);
  });
  parser.on('error', fail);
  parser.on('end', () => settle());
  source.on('error', fail);
  source.on('data', (chunk) => bytes.update(chunk));
  source.pipe(parser);

  await settled;
  // The parser has ended or failed; wait for the entry handlers it queued (each checks `failure`).
  for (let seen: Promise<void> | undefined; seen !== work; ) {
    seen = work;
    await seen;
  }
  source.destroy();
  if (failure) throw failure.error;
  const finished = tree.finish({ stripSingleRoot: true });
  if (install && finished.violations.length > 0) throw unsafeArtifactError(file, finished.violations);
  if (install && finished.root !== install.root) throw unsafeArtifactError(file, [{ entry: finished.root || '.', problem: `is the release root now, not ${install.root || '.'} as when checked (the tarball changed)` }]);
  return { ...finished, digest: `sha256:${bytes.digest('hex')}` };
}

/** What a tar entry type that is not a file, directory or link is, for a violation message. */
function describeTarType(type: string): string {
  switch (type) {
    case 'FIFO':
      return 'a FIFO (named pipe)';
    case 'CharacterDevice':
      return 'a character device';
    case 'BlockDevice':
      return 'a block device';
    default:
      return `a tar entry of type ${type}, which rewind does not install`;
  }
}

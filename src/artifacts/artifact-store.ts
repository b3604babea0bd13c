import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { isRewindError, RewindError } from '../errors/rewind-error.js';
import { inspectArtifact, type ArtifactInspection, type ArtifactKind } from './artifact-digest.js';
import { scanDirectory } from './directory-scan.js';
import { TreeWriter, TreeWriteError } from './tree-writer.js';

/** The digests rewind registers: sha256 of a tarball's bytes or over a directory's tree (artifact-digest.ts). */
const DIGEST = /^sha256:([0-9a-f]{64})$/;
const ENTRY = /^([0-9a-f]{64})(\.tgz)?$/;
/** `.tmp-<hex>-<ms>-<random>` (a copy under way) and `.del-<hex>-<ms>-<random>` (an entry being removed). */
const WORK = /^\.(tmp|del)-[0-9a-f]{64}-(\d+)-[0-9a-f]+(\.tgz)?$/;
/** A copy or removal this old is a leftover of a process that died (a copy takes seconds to minutes). */
export const STALE_WORK_MS = 24 * 60 * 60 * 1000;

export interface StoredArtifact {
  /** The entry: a directory tree, or the tarball's bytes as `<hex>.tgz`. */
  path: string;
  kind: ArtifactKind;
  digest: string;
}

/**
 * rewind's own copy of every registered artifact, addressed by its digest: `<root>/sha256/<hex>`
 * holds a directory artifact's tree, `<root>/sha256/<hex>.tgz` a tarball's bytes as registered. A
 * release is deployed from here, so rebuilding or moving the build folder it was registered from
 * never makes it undeployable; the same content registered twice is stored once.
 *
 * An entry appears only complete and verified: it is written under a `.tmp-` name, its digest is
 * computed again from the copy and must equal the registered one, then it is renamed into place.
 * An entry is removed by renaming it to a `.del-` name first, so no reader ever sees half of one.
 */
export class ArtifactStore {
  constructor(readonly root: string) {}

  get entriesDir(): string {
    return join(this.root, 'sha256');
  }

  /** Where an artifact with `digest` is kept; null for a digest that is not a sha256 (never stored). */
  entryPath(digest: string, kind: ArtifactKind): string | null {
    const hex = DIGEST.exec(digest)?.[1];
    if (!hex) return null;
    return join(this.entriesDir, kind === 'tarball' ? `${hex}.tgz` : hex);
  }

  /** The entry for `digest` when the store has one (of either shape), else null. */
  async locate(digest: string): Promise<StoredArtifact | null> {
    for (const kind of ['directory', 'tarball'] as const) {
      const path = this.entryPath(digest, kind);
      if (!path) return null;
      const info = await lstat(path).catch(() => null);
      if (info && (kind === 'directory' ? info.isDirectory() : info.isFile())) return { path, kind, digest };
    }
    return null;
  }

  /**
   * Copies the artifact at `source`, already checked by inspectArtifact, into the store unless an
   * entry with its digest is already there and still has that digest (then nothing is copied). The
   * copy is checked against the artifact rules and its digest computed afresh before it is renamed
   * into place; a failure (a full disk, the build changing under the copy) removes the partial copy
   * and throws REWIND_E_ARTIFACT_STORE, or the rules' own error. Two processes storing the same
   * digest at once both succeed, with one entry.
   */
  async put(source: string, inspection: ArtifactInspection): Promise<{ path: string; copied: boolean }> {
    const path = this.entryPath(inspection.digest, inspection.kind);
    if (!path) throw new RewindError('REWIND_E_ARTIFACT_STORE', `artifact ${source} has digest ${inspection.digest}, which is not a sha256 the store can address`, { artifact: source });
    const inside = relative(source, this.root);
    if (inspection.kind === 'directory' && !inside.startsWith('..') && !isAbsolute(inside)) {
      throw new RewindError('REWIND_E_ARTIFACT_STORE', `the artifact store ${this.root} lies inside the artifact ${source}: rewind would copy its own store into the release. Set artifacts.store outside the build folder`, { artifact: source, store: this.root });
    }
    if (await this.holds(path, inspection.digest)) return { path, copied: false };
    const staging = this.workName('tmp', inspection.digest, inspection.kind);
    try {
      await mkdir(this.entriesDir, { recursive: true });
      if (inspection.kind === 'directory') {
        await mkdir(staging);
        // Every write is awaited in turn (tree-writer.ts): when this throws, nothing still writes into `staging`.
        await scanDirectory(source, { writer: new TreeWriter(staging) });
      } else {
        await copyFile(source, staging, constants.COPYFILE_EXCL);
      }
      const copy = await inspectArtifact(staging);
      if (copy.digest !== inspection.digest) {
        throw new RewindError('REWIND_E_ARTIFACT_STORE', `artifact ${source} changed while rewind copied it into its store (${inspection.digest} when checked, ${copy.digest} in the copy): register it again once the build has finished`, {
          artifact: source,
          store: this.root,
          expected: inspection.digest,
          actual: copy.digest,
        });
      }
      await this.install(staging, path);
      return { path, copied: true };
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (isRewindError(error)) throw error;
      const cause = error as NodeJS.ErrnoException;
      const where = error instanceof TreeWriteError ? error.path : cause.path;
      throw new RewindError('REWIND_E_ARTIFACT_STORE', `cannot store artifact ${source} in ${this.root}: ${cause.message}`, { artifact: source, store: this.root, path: where, cause: cause.code });
    }
  }

  /** Every entry in the store (leftovers of interrupted copies and removals are not entries). */
  async entries(): Promise<StoredArtifact[]> {
    const names = await readdir(this.entriesDir).catch(() => [] as string[]);
    const found: StoredArtifact[] = [];
    for (const name of names.sort()) {
      const match = ENTRY.exec(name);
      if (match) found.push({ path: join(this.entriesDir, name), kind: match[2] ? 'tarball' : 'directory', digest: `sha256:${match[1]}` });
    }
    return found;
  }

  /**
   * Removes `entry` unless `stillNeeded` says otherwise. It is renamed away first and `stillNeeded`
   * asked after that as well: a release registered meanwhile (register stores its artifact again
   * when it finds the entry gone after recording the release) or an operation started meanwhile
   * gets the entry back. True when it was removed.
   */
  async drop(entry: StoredArtifact, stillNeeded: () => Promise<boolean>): Promise<boolean> {
    if (await stillNeeded()) return false;
    const doomed = this.workName('del', entry.digest, entry.kind);
    try {
      await rename(entry.path, doomed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    if (await stillNeeded().catch(() => true)) {
      // Put it back, unless a register stored the same content again meanwhile (then ours is a spare).
      await this.install(doomed, entry.path).catch(() => rm(doomed, { recursive: true, force: true }));
      return false;
    }
    await rm(doomed, { recursive: true, force: true });
    return true;
  }

  /** Removes what processes that died left behind: copies and removals older than STALE_WORK_MS. Returns their names. */
  async sweep(now: number): Promise<string[]> {
    const names = await readdir(this.entriesDir).catch(() => [] as string[]);
    const swept: string[] = [];
    for (const name of names) {
      const match = WORK.exec(name);
      if (!match || now - Number(match[2]) < STALE_WORK_MS) continue;
      await rm(join(this.entriesDir, name), { recursive: true, force: true });
      swept.push(name);
    }
    return swept;
  }

  /** Whether `path` is an entry that still has `digest`; an entry that does not is removed (it is damaged). */
  private async holds(path: string, digest: string): Promise<boolean> {
    if (!(await lstat(path).catch(() => null))) return false;
    const found = await inspectArtifact(path).then(
      (copy) => copy.digest,
      () => null,
    );
    if (found === digest) return true;
    const kind: ArtifactKind = path.endsWith('.tgz') ? 'tarball' : 'directory';
    const doomed = this.workName('del', digest, kind);
    await rename(path, doomed).catch(() => undefined);
    await rm(doomed, { recursive: true, force: true });
    return false;
  }

  /** Renames a finished copy into place; when a concurrent put got there first, keeps that one. */
  private async install(from: string, to: string): Promise<void> {
    try {
      await rename(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      await rm(from, { recursive: true, force: true });
    }
  }

  private workName(what: 'tmp' | 'del', digest: string, kind: ArtifactKind): string {
    const hex = DIGEST.exec(digest)![1]!;
    // The tarball keeps its .tgz name: inspectArtifact tells the two shapes apart by it.
    return join(this.entriesDir, `.${what}-${hex}-${Date.now()}-${randomBytes(4).toString('hex')}${kind === 'tarball' ? '.tgz' : ''}`);
  }
}

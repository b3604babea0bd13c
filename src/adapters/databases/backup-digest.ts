import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../../errors/rewind-error.js';
import type { BackupArtifact } from '../../ports/backup-artifact.js';

/**
 * A backup's sha256, the same way for every engine: computed while the dump streams to disk, of a
 * file or a directory dump as it is on disk now, and the checksum gate in front of verify and restore.
 * (The directory digest is not the artifacts' tree digest: it is the `sha256sum` manifest format
 * recorded with every directory backup, so it stays as it is.)
 */

/** Counts and hashes the bytes that pass through, unchanged. */
export class HashingPassThrough extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    callback();
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Streams `source` (through optional transforms such as gzip) into `path`, hashing exactly the bytes
 * written: the sha256 is known when the last byte lands, with no second read of the file. The file
 * is fsynced before this resolves, so a recorded backup is on disk.
 */
export async function writeHashed(source: NodeJS.ReadableStream, path: string, transforms: Transform[] = []): Promise<{ size: number; sha256: string }> {
  const hasher = new HashingPassThrough();
  // flush: the file is fsynced before it closes, and pipeline() resolves only after the close.
  await pipeline([source as Readable, ...transforms, hasher, createWriteStream(path, { flush: true })]);
  return { size: hasher.size, sha256: hasher.digest() };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * A directory dump's digest: sha256 of its `sha256sum`-style manifest (`<hex>  <relative/path>\n`
 * per file, sorted by path, `/` separators), so `(cd dir && find . -type f | sort | xargs sha256sum)`
 * style tooling can reproduce it. Size is the sum of the files.
 */
export async function directoryManifestDigest(dir: string): Promise<{ size: number; sha256: string }> {
  const files: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else files.push(full);
    }
  };
  await walk(dir);
  const entries = files.map((full) => ({ full, rel: relative(dir, full).split(sep).join('/') })).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const manifest = createHash('sha256');
  let size = 0;
  for (const { full, rel } of entries) {
    manifest.update(`${await sha256File(full)}  ${rel}\n`);
    size += (await stat(full)).size;
  }
  return { size, sha256: manifest.digest('hex') };
}

/** sha256 of a backup as it is on disk now: a file's bytes, or a directory's manifest. */
export async function currentDigest(path: string): Promise<string> {
  return statSync(path).isDirectory() ? (await directoryManifestDigest(path)).sha256 : sha256File(path);
}

/** Why a backup cannot be trusted, or undefined when its bytes are the ones recorded. Never throws. */
export async function checksumProblem(backup: BackupArtifact): Promise<string | undefined> {
  if (!existsSync(backup.path)) return `backup ${backup.path} does not exist`;
  try {
    const actual = await currentDigest(backup.path);
    if (actual !== backup.sha256) return `checksum mismatch for ${backup.path}: recorded sha256 ${backup.sha256}, found ${actual}`;
    return undefined;
  } catch (error) {
    return `cannot read ${backup.path}: ${(error as Error).message}`;
  }
}

/** The gate in front of every restore: nothing is touched unless the backup is byte-for-byte the one recorded. */
export async function assertIntact(backup: BackupArtifact): Promise<void> {
  const problem = await checksumProblem(backup);
  if (problem) throw new RewindError('REWIND_E_BACKUP_CORRUPT', `refusing to restore: ${problem}`, { path: backup.path, sha256: backup.sha256 });
}

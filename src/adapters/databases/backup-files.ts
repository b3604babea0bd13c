import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { delimiter, join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../../errors/rewind-error.js';
import type { BackupArtifact } from '../../ports/database-engine.js';
import type { PipelineResult } from '../../ports/executor.js';
import { redactor } from '../../util/redact.js';
import { nullPrototypeRecord } from '../../util/own-property.js';

/**
 * What the database adapters share: writing a dump through sha256 while it streams, digests of files
 * and directory dumps, the checksum gate in front of verify and restore, and finding client tools.
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

/** The temporary name a dump is written under; renamed to its final name only when complete. */
export const partialPath = (destination: string): string => `${destination}.partial`;

export async function finalize(destination: string): Promise<void> {
  await rename(partialPath(destination), destination);
}

export async function discardPartial(destination: string): Promise<void> {
  await rm(partialPath(destination), { recursive: true, force: true });
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
export async function treeDigest(dir: string): Promise<{ size: number; sha256: string }> {
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
  return statSync(path).isDirectory() ? (await treeDigest(path)).sha256 : sha256File(path);
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

/** `name` inside `binDir`, or the first match on PATH; undefined when it is nowhere. */
export function findTool(name: string, binDir?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = binDir ? [binDir] : (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The first of several names that exists (mariadb-dump before mysqldump); the first name when none does, so the error names it. */
export function pickTool(names: readonly string[], binDir?: string): string {
  for (const name of names) {
    const found = findTool(name, binDir);
    if (found) return found;
  }
  return binDir ? join(binDir, names[0]!) : names[0]!;
}

/** A failed pipeline as one readable, redacted line per stage that failed. */
export function pipelineFailure(result: PipelineResult, secrets: readonly string[] = []): string {
  const lines = result.stages
    .map((stage, index) => ({ stage, index }))
    .filter(({ stage }) => stage.exitCode !== 0)
    .map(({ stage, index }) => {
      const why = stage.timedOut ? 'timed out' : stage.signal ? `killed by ${stage.signal}` : `exit ${stage.exitCode}`;
      return `stage ${index + 1} ${why}: ${stage.stderr.trim().split(/[\r\n]+/).slice(-5).join(' / ') || '(no stderr)'}`;
    });
  let text = lines.join('; ') || 'pipeline failed';
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  return redactor.redact(text);
}

/** Migration history tables rewind records with each backup (the tools `src/migrations` knows, and a few more). */
export const MIGRATION_TABLES: readonly string[] = [
  '_prisma_migrations',
  'knex_migrations',
  'pgmigrations',
  'schema_migrations',
  'flyway_schema_history',
  '__drizzle_migrations',
  'migrations',
  'typeorm_migrations',
  'SequelizeMeta',
  'kysely_migration',
  'goose_db_version',
  '__EFMigrationsHistory',
  'doctrine_migration_versions',
];

/** Driver values made JSON-stable: dates as ISO strings, bytes as hex, big integers as strings. */
export function jsonSafeRow(row: Record<string, unknown>): Record<string, unknown> {
  // Keyed by the table's column names: without a prototype a column `__proto__` is kept like any other.
  const out = nullPrototypeRecord<unknown>();
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = Number.isNaN(value.getTime()) ? null : value.toISOString();
    else if (Buffer.isBuffer(value)) out[key] = value.toString('hex');
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

/** Rows in a stable order, whatever order the database returned them in. */
export function stableRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows
    .map(jsonSafeRow)
    .map((row) => ({ row, key: JSON.stringify(row) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ row }) => row);
}

/** `schema.table` or `table` split for quoting; a name with more dots is refused. */
export function splitTableName(name: string): string[] {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((part) => part.length === 0)) {
    throw new RewindError('REWIND_E_CONFIG_INVALID', `database.criticalTables: ${JSON.stringify(name)} is not a table name (use "table" or "schema.table")`);
  }
  return parts;
}


import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';
import type { BaseBackup, TakeBaseBackupOptions } from '../../../ports/database-pitr.js';
import type { CommandSpec } from '../../../ports/executor.js';
import { directoryManifestDigest } from '../backup-digest.js';
import { pickTool } from '../client-tools.js';
import { discardPartial, finalize, partialPath } from '../partial-dump.js';
import { connect, failure, splitPassword, where } from './postgres-pitr-connection.js';
import { invalid } from './postgres-pitr-quoting.js';
import { UTC_NOW_SQL } from './postgres-pitr-times.js';

/**
 * `pg_basebackup` in plain format (a directory that is a copy of the data directory, chosen so a
 * restore is a plain copy and pg_verifybackup can check it) with the WAL it needs streamed in
 * (`--wal-method=stream`, so the backup is consistent on its own), a fast checkpoint (no wait for a
 * spread one) and a manifest with SHA-256 per file. The result is verified with pg_verifybackup before
 * it is renamed into place. Its `sha256` is the house directory digest (`directoryManifestDigest`: sha256 of the
 * sorted `sha256sum`-style manifest of every file, backup_manifest included), so `assertIntact` and
 * `checksumProblem` work on it like on any other backup.
 *
 * Clusters with extra tablespaces are refused: plain format would write them to their original
 * absolute paths, which on the same host are the live ones.
 */
export async function takeBaseBackup(options: TakeBaseBackupOptions): Promise<BaseBackup> {
  const destination = resolve(options.destination);
  if (existsSync(destination)) throw invalid(`destination ${destination} already exists: a base backup goes into a new directory`, { field: 'destination' });
  if (!existsSync(dirname(destination))) throw invalid(`the parent of destination ${destination} does not exist`, { field: 'destination' });
  const { publicUrl, password } = splitPassword(options.url);
  const secrets = password ? [password] : [];
  const spec = (argv: string[]): CommandSpec => ({ argv, env: { PGAPPNAME: 'rewind', ...(password ? { PGPASSWORD: password } : {}) }, redact: secrets, timeoutMs: options.timeoutMs });
  const target = partialPath(destination);
  await discardPartial(destination);
  const client = await connect(options.url);
  try {
    const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    const spaces = await client.query<{ spcname: string }>(`SELECT spcname FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1`);
    if (spaces.rows.length > 0) {
      throw new RewindError('REWIND_E_BACKUP_FAILED', `${where(options.url)} has tablespaces (${spaces.rows.map((row) => row.spcname).join(', ')}); rewind's plain-format base backup supports only pg_default and pg_global`, { engine: 'postgres' });
    }
    const startTime = (await client.query<{ now: string }>(UTC_NOW_SQL)).rows[0]!.now;
    const backup = await options.executor.run(
      spec([
        pickTool(['pg_basebackup'], options.binDir),
        `--pgdata=${target}`,
        '--format=plain',
        '--wal-method=stream',
        '--checkpoint=fast',
        '--manifest-checksums=SHA256',
        '--label=rewind',
        '--no-password',
        `--dbname=${publicUrl}`,
      ]),
    );
    if (backup.exitCode !== 0) throw new RewindError('REWIND_E_BACKUP_FAILED', `pg_basebackup of ${where(options.url)} failed: ${failure(backup, secrets)}`, { engine: 'postgres' });
    const endTime = (await client.query<{ now: string }>(UTC_NOW_SQL)).rows[0]!.now;
    const verified = await options.executor.run(spec([pickTool(['pg_verifybackup'], options.binDir), '--quiet', target]));
    if (verified.exitCode !== 0) throw new RewindError('REWIND_E_BACKUP_FAILED', `pg_verifybackup rejected the new base backup of ${where(options.url)}: ${failure(verified)}`, { engine: 'postgres' });
    const range = await walRange(target);
    const written = await directoryManifestDigest(target);
    await finalize(destination);
    return { path: destination, format: 'pg-basebackup-plain', ...written, startTime, endTime, ...range, serverVersion: Number(version.rows[0]!.v) };
  } catch (error) {
    await discardPartial(destination);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function walRange(dir: string): Promise<{ startLsn: string; endLsn: string; timeline: number }> {
  const manifest = JSON.parse(await readFile(join(dir, 'backup_manifest'), 'utf8')) as { 'WAL-Ranges'?: { Timeline: number; 'Start-LSN': string; 'End-LSN': string }[] };
  const ranges = manifest['WAL-Ranges'] ?? [];
  const [first, last] = [ranges[0], ranges.at(-1)];
  if (!first || !last) throw new RewindError('REWIND_E_BACKUP_FAILED', `backup_manifest in ${dir} has no WAL-Ranges`, { engine: 'postgres' });
  return { startLsn: first['Start-LSN'], endLsn: last['End-LSN'], timeline: last.Timeline };
}

import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PostgresDatabaseConfig } from '../../config/config-schema.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { DatabaseEngine } from '../../ports/database-engine.js';
import type { BaseBackup, PitrCheckResult, PitrSupport, RestoreToTimeResult } from '../../ports/database-pitr.js';
import { backupBaseName, requireDatabase } from './database-backup.js';
import { lookUpUnlessResolved, type ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';

/**
 * Point-in-time recovery (seed 000 "continuous backups (WAL archiving)", seed 001 "Replay transaction
 * logs if available"): check that archiving works, take base backups, and recover one into a NEW
 * cluster up to a time. The live cluster is never replaced in place: the recovered server runs on
 * its own port, and the operator moves data or traffic over (`rewind db restore` from a dump taken
 * there, or by pointing the app at it) once it looks right.
 *
 * Base backups are directories; each has a `<dir>.json` manifest beside it (times, WAL range,
 * sha256) from which a restore picks the newest one that ended before the target time.
 */

type PitrConfig = NonNullable<PostgresDatabaseConfig['pitr']>;

/** The environment (looked up unless the caller resolved it) and its PITR settings; REWIND_E_PITR_INVALID without them. */
function pitrOf(services: Services, environment: string | ResolvedEnvironment): { config: PitrConfig; database: PostgresDatabaseConfig; resolved: ResolvedEnvironment } {
  const resolved = lookUpUnlessResolved(services.config, environment);
  const { env } = resolved;
  const database = requireDatabase(env, resolved.config);
  // Which engines take `pitr:` is their schemas' business (PostgreSQL's only, today); the engine's own
  // `pitr` support is checked again when it is built (withPitr).
  if (!('pitr' in database) || !database.pitr) {
    throw new RewindError('REWIND_E_PITR_INVALID', `environment ${env} has no point-in-time recovery configured (environments.${env}.database.pitr, PostgreSQL only)`, { env });
  }
  return { config: database.pitr, database, resolved };
}

async function withPitr<T>(services: Services, { env, config }: ResolvedEnvironment, work: (pitr: PitrSupport, engine: DatabaseEngine) => Promise<T>): Promise<T> {
  const engine = services.createDatabaseEngine(env, config);
  try {
    if (!engine.pitr) throw new RewindError('REWIND_E_PITR_INVALID', `the ${engine.engine} engine has no point-in-time recovery`, { env });
    return await work(engine.pitr, engine);
  } finally {
    await engine.close();
  }
}

async function logLine(database: PostgresDatabaseConfig, line: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(database.backupLog), { recursive: true });
  await appendFile(database.backupLog, `${JSON.stringify(line)}\n`);
}

/** archive_mode, archive_command, wal_level, the archiver's last result and WAL continuity in the archive directory. */
export async function checkPitrReadiness(services: Services, environment: string | ResolvedEnvironment): Promise<PitrCheckResult> {
  const { config, resolved } = pitrOf(services, environment);
  const { env } = resolved;
  const result = await withPitr(services, resolved, (pitr) => pitr.check({ archiveDir: config.archiveDir }));
  await services.sink.emit({ event: 'pitr_checked', env, ok: result.ok, failed: result.checks.filter((c) => !c.ok).map((c) => c.name) });
  return result;
}

/** pg_basebackup into `<baseBackupDir>/<env>-<time>-base`, verified, with its manifest beside it. */
export async function takePitrBaseBackup(services: Services, environment: string | ResolvedEnvironment): Promise<BaseBackup> {
  const { config, database, resolved } = pitrOf(services, environment);
  const { env } = resolved;
  await mkdir(config.baseBackupDir!, { recursive: true });
  const destination = join(config.baseBackupDir!, backupBaseName(env, services.now(), 'manual', null).replace('-manual', '-base'));
  const backup = await withPitr(services, resolved, (pitr) => pitr.baseBackup({ destination }));
  await writeFile(`${destination}.json`, `${JSON.stringify(backup, null, 2)}\n`);
  await logLine(database, { at: new Date(services.now()).toISOString(), event: 'base_backup_complete', env, path: backup.path, size: backup.size, sha256: backup.sha256, endTime: backup.endTime });
  await services.sink.emit({ event: 'base_backup_complete', env, path: backup.path, size: backup.size, sha256: backup.sha256, startTime: backup.startTime, endTime: backup.endTime });
  return backup;
}

/** Base backups recorded in `baseBackupDir`, newest first. */
export async function listBaseBackups(services: Services, environment: string | ResolvedEnvironment): Promise<BaseBackup[]> {
  const { config, resolved } = pitrOf(services, environment);
  const { env } = resolved;
  if (!existsSync(config.baseBackupDir!)) return [];
  const manifests = (await readdir(config.baseBackupDir!)).filter((name) => name.startsWith(`${env}-`) && name.endsWith('.json'));
  const backups: BaseBackup[] = [];
  for (const name of manifests) {
    const backup = JSON.parse(await readFile(join(config.baseBackupDir!, name), 'utf8')) as BaseBackup;
    if (existsSync(backup.path)) backups.push(backup);
  }
  return backups.sort((a, b) => Date.parse(b.endTime) - Date.parse(a.endTime));
}

export interface PitrRestoreOptions {
  toTime: string;
  dataDir?: string;
  port?: number;
}

export interface PitrRestorePlan {
  baseBackup: BaseBackup;
  toTime: string;
  dataDir: string;
  port: number;
  archiveDir: string;
}

/** What a point-in-time restore would do (for --dry-run): the base backup it picks, where, and on which port. Changes nothing. */
export async function planPointInTimeRestore(services: Services, environment: string | ResolvedEnvironment, options: PitrRestoreOptions): Promise<PitrRestorePlan> {
  const { config, resolved } = pitrOf(services, environment);
  const { env } = resolved;
  const target = Date.parse(options.toTime);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(options.toTime) || Number.isNaN(target)) {
    throw new RewindError('REWIND_E_PITR_INVALID', `--to-time ${JSON.stringify(options.toTime)} is not an ISO 8601 time (e.g. 2026-12-01T09:30:00Z)`, { argument: '--to-time' });
  }
  const candidates = await listBaseBackups(services, resolved);
  const baseBackup = candidates.find((b) => Date.parse(b.endTime) <= target);
  if (!baseBackup) {
    const oldest = candidates.at(-1);
    throw new RewindError(
      'REWIND_E_PITR_INVALID',
      `no base backup of ${env} ended before ${options.toTime}${oldest ? ` (the oldest ended ${oldest.endTime})` : ` (none in ${config.baseBackupDir}: run \`rewind db pitr base-backup ${env}\`)`}`,
      { argument: '--to-time' },
    );
  }
  const dataDir = options.dataDir ?? join(config.restoreDir!, backupBaseName(env, services.now(), 'manual', null).replace('-manual', '-pitr'));
  return { baseBackup, toTime: options.toTime, dataDir, port: options.port ?? config.restorePort, archiveDir: config.archiveDir };
}

/**
 * Recovers the newest base backup that ended before `toTime` into a new data directory and replays
 * the archived WAL up to `toTime`. The recovered server keeps running on its port for inspection.
 */
export async function restoreToPointInTime(services: Services, environment: string | ResolvedEnvironment, options: PitrRestoreOptions): Promise<RestoreToTimeResult & { baseBackup: BaseBackup }> {
  const { config, database, resolved } = pitrOf(services, environment);
  const { env } = resolved;
  const { baseBackup, dataDir, port } = await planPointInTimeRestore(services, resolved, options);
  await mkdir(dirname(dataDir), { recursive: true });
  await services.sink.emit({ event: 'pitr_restore_start', env, toTime: options.toTime, baseBackup: baseBackup.path, dataDir });
  try {
    const result = await withPitr(services, resolved, (pitr) =>
      pitr.restoreToTime({ backup: baseBackup, archiveDir: config.archiveDir, targetTime: options.toTime, dataDir, port, osUser: config.osUser }),
    );
    await logLine(database, { at: new Date(services.now()).toISOString(), event: 'pitr_restore_complete', env, toTime: options.toTime, dataDir: result.dataDir, port: result.port });
    await services.sink.emit({ event: 'pitr_restore_complete', env, success: true, toTime: options.toTime, dataDir: result.dataDir, port: result.port, lastReplayedCommit: result.lastReplayedCommit, durationMs: result.durationMs });
    return { ...result, baseBackup };
  } catch (error) {
    await services.sink.emit({ event: 'pitr_restore_complete', env, success: false, toTime: options.toTime, error: (error as Error).message });
    throw error;
  }
}

import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { DatabaseConfig, EnvironmentConfig } from '../../config/config-schema.js';
import { RewindError, toRewindError } from '../../errors/rewind-error.js';
import type { CommandSpec } from '../../ports/executor.js';
import type { BackupKind, BackupRecord } from '../../ports/ledger.js';
import type { ProgressReporter } from '../../ports/step-progress.js';
import { reportDumpGrowth } from './dump-growth.js';
import { lookUpUnlessResolved, lookUpEnvironment, type ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';

/**
 * Database backups as operations on ports: the engine (services.createDatabaseEngine) dumps, the
 * ledger records, the sink reports, and `ops/backups.log` gets one JSON line per backup (seed 000:
 * "store backup metadata (timestamp, version, checksum) in an operator log file").
 *
 * A backup's `releaseVersion` is the release whose database state it holds: the one running when it
 * was taken. A pre-upgrade backup therefore carries the version being upgraded *from*, and it is what
 * a rollback to that release restores.
 */

const DAY_MS = 86_400_000;

const operationOf = (options: BackupOptions): { operationId?: string } => (options.operationId ? { operationId: options.operationId } : {});

export interface BackupOptions {
  kind: BackupKind;
  /** Defaults to the environment's current release (null when nothing is deployed). */
  releaseVersion?: string | null;
  /** Told how much of the dump is written, every 2 s while it streams. */
  progress?: ProgressReporter;
  /** The operation whose step takes the backup (a deploy's pre-upgrade, a restore's safety backup): on its events. */
  operationId?: string;
}

export interface BackupOutcome {
  backup: BackupRecord;
  durationMs: number;
}

export function requireDatabase(env: string, config: EnvironmentConfig): DatabaseConfig {
  if (!config.database) {
    throw new RewindError('REWIND_E_NO_DATABASE', `environment ${JSON.stringify(env)} has no database configured (environments.${env}.database)`, { env });
  }
  return config.database;
}

const backupDirOf = (env: string, database: DatabaseConfig): string => database.backupDir ?? resolve('backups', env);

/** `<env>-<UTC time>-<kind>[-<release>]-<4 random hex>`: sorts by time, never collides, says what it is. */
export function backupBaseName(env: string, at: number, kind: BackupKind, releaseVersion: string | null): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('.', '');
  const release = releaseVersion ? `-${releaseVersion.replace(/[^A-Za-z0-9._+-]/g, '_')}` : '';
  return `${env}-${stamp}-${kind}${release}-${randomBytes(2).toString('hex')}`;
}

/** What a backup would run, for dry-runs and plans (argv, redacted when printed). */
export function describeDatabaseBackup(services: Services, environment: string | ResolvedEnvironment, options: BackupOptions & { at?: number }): { destination: string; commands: CommandSpec[][] } {
  const { env, config } = lookUpUnlessResolved(services.config, environment);
  const database = requireDatabase(env, config);
  const engine = services.createDatabaseEngine(env, config);
  const destination = join(backupDirOf(env, database), backupBaseName(env, options.at ?? services.now(), options.kind, options.releaseVersion ?? null) + engine.extension);
  return { destination, commands: engine.describeBackup(destination) };
}

async function appendBackupLog(database: DatabaseConfig, line: Record<string, unknown>): Promise<void> {
  const file = database.backupLog;
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(line)}\n`);
}

/** Checks the database answers, dumps it, records the backup in the ledger and ops/backups.log, emits `backup_complete`. */
export async function backupDatabase(services: Services, environment: string | ResolvedEnvironment, options: BackupOptions): Promise<BackupOutcome> {
  const { env, config } = lookUpUnlessResolved(services.config, environment);
  const database = requireDatabase(env, config);
  const engine = services.createDatabaseEngine(env, config);
  try {
    await engine.ping();
    const releaseVersion = options.releaseVersion !== undefined ? options.releaseVersion : ((await services.ledger.getEnvironment(env))?.currentVersion ?? null);
    const at = services.now();
    const destination = join(backupDirOf(env, database), backupBaseName(env, at, options.kind, releaseVersion) + engine.extension);
    const started = performance.now();
    let result;
    const stopReporting = options.progress ? reportDumpGrowth(destination, options.progress) : null;
    try {
      result = await engine.backup(destination, database.criticalTables).finally(() => stopReporting?.());
    } catch (error) {
      const coded = toRewindError(error);
      const failure = coded.code === 'REWIND_E_INTERNAL' ? new RewindError('REWIND_E_BACKUP_FAILED', `backup of ${env} failed: ${coded.message}`, { env }) : coded;
      await services.sink.emit({ event: 'backup_failed', env, ...operationOf(options), kind: options.kind, release: releaseVersion, engine: engine.engine, code: failure.code, error: failure.message });
      throw failure;
    }
    const durationMs = Math.round(performance.now() - started);
    const { artifact, snapshot } = result;
    const backup = await services.ledger.recordBackup({
      env,
      releaseVersion,
      kind: options.kind,
      engine: engine.engine,
      format: artifact.format,
      path: artifact.path,
      size: artifact.size,
      sha256: artifact.sha256,
      migrationState: snapshot.migrationState,
      rowCounts: snapshot.rowCounts,
      createdAt: at,
    });
    await appendBackupLog(database, {
      at: new Date(at).toISOString(),
      event: 'backup_complete',
      env,
      release: releaseVersion,
      kind: options.kind,
      id: backup.id,
      engine: engine.engine,
      format: artifact.format,
      path: artifact.path,
      size: artifact.size,
      sha256: artifact.sha256,
      durationMs,
    });
    await services.sink.emit({
      event: 'backup_complete',
      env,
      ...operationOf(options),
      backupId: backup.id,
      kind: options.kind,
      release: releaseVersion,
      engine: engine.engine,
      format: artifact.format,
      path: artifact.path,
      size: artifact.size,
      sha256: artifact.sha256,
      rowCounts: snapshot.rowCounts,
      durationMs,
    });
    return { backup, durationMs };
  } finally {
    await engine.close();
  }
}

export interface VerifyOutcome {
  backup: BackupRecord;
  ok: boolean;
  reason?: string;
}

/** Finds a recorded backup by id (digits) or by path; REWIND_E_BACKUP_NOT_FOUND otherwise. */
export async function findBackup(services: Services, ref: string, options: { env?: string } = {}): Promise<BackupRecord> {
  if (/^\d+$/.test(ref)) {
    const backup = await services.ledger.getBackup(Number(ref));
    if (!backup || (options.env !== undefined && backup.env !== options.env)) {
      throw new RewindError('REWIND_E_BACKUP_NOT_FOUND', `no backup #${ref}${options.env ? ` in ${options.env}` : ''} in the ledger`, { backup: ref, ...(options.env ? { env: options.env } : {}) });
    }
    return backup;
  }
  const path = resolve(ref);
  const envs = options.env !== undefined ? [options.env] : Object.keys(services.config.environments).filter((name) => services.config.environments[name]!.database);
  if (options.env !== undefined) lookUpEnvironment(services.config, options.env);
  for (const env of envs) {
    const found = (await services.ledger.listBackups(env, { includeDeleted: true })).find((backup) => backup.path === path);
    if (found) return found;
  }
  throw new RewindError('REWIND_E_BACKUP_NOT_FOUND', `${path} is not a backup recorded in the ledger${options.env ? ` for ${options.env}` : ''} (its sha256 is unknown, so it cannot be verified)`, {
    backup: path,
    ...(options.env ? { env: options.env } : {}),
  });
}

/** Checksum and readability of a recorded backup; never touches the database. Emits `backup_verified`. */
export async function verifyBackup(services: Services, ref: string, options: { env?: string } = {}): Promise<VerifyOutcome> {
  const backup = await findBackup(services, ref, options);
  const { config } = lookUpEnvironment(services.config, backup.env);
  requireDatabase(backup.env, config);
  let outcome: { ok: boolean; reason?: string };
  if (backup.deletedAt !== null) {
    outcome = { ok: false, reason: `backup #${backup.id} was pruned at ${new Date(backup.deletedAt).toISOString()}` };
  } else {
    const engine = services.createDatabaseEngine(backup.env, config);
    try {
      outcome = await engine.verify(backup);
    } finally {
      await engine.close();
    }
  }
  await services.sink.emit({ event: 'backup_verified', env: backup.env, backupId: backup.id, path: backup.path, ok: outcome.ok, ...(outcome.reason ? { reason: outcome.reason } : {}) });
  return { backup, ...outcome };
}

export interface PruneDecision {
  backup: BackupRecord;
  /** Why it stays, or `undefined` when it goes. */
  keptBecause?: string;
}

export interface PruneOutcome {
  dryRun: boolean;
  kept: PruneDecision[];
  deleted: BackupRecord[];
}

/**
 * Retention (seed 000: keep backups at least 7 days). A backup stays when it is among the newest
 * `keep`, or younger than `retainDays`, or it is the newest pre-upgrade backup of a release that can
 * still be rolled back to (the current release, or any release in state good or superseded: a
 * potential last known good). Everything else is marked deleted in the ledger, then removed from disk,
 * with a `backup_pruned` event and a line in ops/backups.log.
 */
export async function pruneBackups(services: Services, env: string, options: { dryRun?: boolean } = {}): Promise<PruneOutcome> {
  const { config } = lookUpEnvironment(services.config, env);
  const database = requireDatabase(env, config);
  const { ledger } = services;
  const now = services.now();
  const backups = await ledger.listBackups(env); // newest first
  const environment = await ledger.getEnvironment(env);
  const releases = await ledger.listReleases(env, { limit: 100_000 });
  const rollbackTargets = new Set(releases.filter((r) => (r.state === 'good' || r.state === 'superseded') && r.goodSeq !== null).map((r) => r.version));
  if (environment?.currentVersion) rollbackTargets.add(environment.currentVersion);

  const protectedFor = new Map<number, string>();
  const seen = new Set<string>();
  for (const backup of backups) {
    if (backup.kind !== 'pre-upgrade' || backup.releaseVersion === null || !rollbackTargets.has(backup.releaseVersion) || seen.has(backup.releaseVersion)) continue;
    seen.add(backup.releaseVersion);
    protectedFor.set(backup.id, backup.releaseVersion);
  }

  const cutoff = now - database.retainDays * DAY_MS;
  const decisions: PruneDecision[] = backups.map((backup, index) => {
    if (index < database.keep) return { backup, keptBecause: `among the newest ${database.keep}` };
    if (backup.createdAt > cutoff) return { backup, keptBecause: `younger than ${database.retainDays} days` };
    const release = protectedFor.get(backup.id);
    if (release !== undefined) return { backup, keptBecause: `pre-upgrade backup of ${release}, which can still be rolled back to` };
    return { backup };
  });
  const kept = decisions.filter((d) => d.keptBecause !== undefined);
  const deleted = decisions.filter((d) => d.keptBecause === undefined).map((d) => d.backup);
  if (options.dryRun) return { dryRun: true, kept, deleted };

  for (const backup of deleted) {
    // Ledger first: a crash between the two leaves a stray file, never a record of a backup that is gone.
    await ledger.markBackupDeleted(backup.id, now);
    await rm(backup.path, { recursive: true, force: true });
    await appendBackupLog(database, {
      at: new Date(now).toISOString(),
      event: 'backup_pruned',
      env,
      release: backup.releaseVersion,
      kind: backup.kind,
      id: backup.id,
      path: backup.path,
      size: backup.size,
      sha256: backup.sha256,
    });
    await services.sink.emit({
      event: 'backup_pruned',
      env,
      backupId: backup.id,
      kind: backup.kind,
      release: backup.releaseVersion,
      path: backup.path,
      size: backup.size,
      ageDays: Math.floor((now - backup.createdAt) / DAY_MS),
    });
  }
  return { dryRun: false, kept, deleted: deleted.map((backup) => ({ ...backup, deletedAt: now })) };
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationsConfig } from '../../config/config-schema.js';
import { migrationsEnvRefs } from '../../config/config-secrets.js';
import { toRewindError } from '../../errors/rewind-error.js';
import type { MigrationSource } from '../../lint/lint-types.js';
import type { MigrationFile, MigrationHistory } from '../../migrations/migration-history.js';
import { listMigrationFiles } from '../../migrations/migration-files.js';
import { pendingMigrations, unknownApplied } from '../../migrations/pending-migrations.js';
import type { DatabaseEngine, DatabaseSnapshot, RowCounts } from '../../ports/database-engine.js';
import type { AppliedMigrationRecord, BackupKind, BackupRecord, ReleaseDatabaseRecord } from '../../ports/ledger.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import { substituteArgv } from '../../util/substitute-argv.js';
import { backupDatabase } from '../database/database-backup.js';
import { readToolHistory } from '../database/tool-history.js';
import { diffSchemas, renderSchemaDiff } from '../database/schema-diff.js';
import type { StepContext, StepExecutor } from './step-context.js';
import { ownValue } from '../../util/own-property.js';

/**
 * The database half of deploys, rollbacks and restores (seed 000): the pre-upgrade backup, the
 * migration preflight (history blockers, pending migrations, their lint verdict), applying them,
 * and the restore sequence — check the backup → stop writes → safety backup → restore → verify the
 * migration table and critical row counts. Each is a journaled step; steps hand results to later
 * ones through the journal (a crash between them loses nothing).
 */

async function withEngine<T>(context: StepContext, work: (engine: DatabaseEngine) => Promise<T>): Promise<T> {
  const engine = context.services.createDatabaseEngine(context.env, context.config);
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

/** The detail a succeeded step of this operation journaled, or undefined. */
async function journaled(context: StepContext, stepId: string): Promise<Record<string, unknown> | undefined> {
  const steps = await context.ledger.listSteps(context.operation.id);
  const found = steps.filter((s) => s.stepId === stepId && s.state === 'succeeded').at(-1);
  return found ? (found.detail as Record<string, unknown>) : undefined;
}

/**
 * Stores the live schema on the release that now runs against it (after its migrations, a rollback
 * onto it, or a restore under it): the reference drift detection compares with later.
 */
export async function recordLiveSchema(context: StepContext, version: string): Promise<boolean> {
  const release = await context.ledger.getRelease(context.env, version);
  if (!release || !context.config.database) return false;
  return withEngine(context, async (engine) => {
    if (!engine.readSchema) return false;
    const schema = await engine.readSchema();
    const facts: ReleaseDatabaseRecord = release.database ?? { migrations: [], verdict: 'none', reasons: [], preUpgradeBackupId: null };
    await context.ledger.setReleaseDatabase(context.env, version, { ...facts, schema }, context.now());
    return true;
  });
}

const asFailure = (error: unknown, prefix = ''): Outcome => {
  const coded = toRewindError(error);
  return failed(`${prefix}${coded.message}`, undefined, coded.code);
};

/** Takes a backup (pre-upgrade in a deploy's preflight, safety just before a restore). */
export const dbBackup: StepExecutor = async (step, context) => {
  const kind = step.params.kind as BackupKind;
  try {
    const { backup, durationMs } = await backupDatabase(context.services, context, { kind, releaseVersion: (step.params.release as string | null) ?? null, progress: context.progress, operationId: context.operation.id });
    // A critical table the release's own migrations create is absent before its first deploy: recorded as such, said here.
    const absent = Object.keys(backup.rowCounts).filter((table) => backup.rowCounts[table] === null);
    const note = absent.length ? `; critical table${absent.length > 1 ? 's' : ''} ${absent.join(', ')} not there yet (recorded as absent)` : '';
    return succeeded(`${kind} backup #${backup.id} ${backup.path} (${backup.size} bytes, sha256 ${backup.sha256.slice(0, 12)}…)${note}`, {
      backupId: backup.id,
      path: backup.path,
      sha256: backup.sha256,
      size: backup.size,
      rowCounts: backup.rowCounts,
      backupMs: durationMs,
    });
  } catch (error) {
    return asFailure(error, `${kind} backup failed: `);
  }
};

function migrationsDir(context: StepContext, version: string, migrations: MigrationsConfig): string | Outcome {
  if (!context.target.releaseDir) return failed(`the ${context.target.type} target has no release directory to read migrations from`, undefined, 'REWIND_E_CONFIG_INVALID');
  return join(context.target.releaseDir(version), migrations.dir);
}

const SQL_FILE = /\.sql$/i;

interface MigrationVerdict {
  verdict: ReleaseDatabaseRecord['verdict'];
  reasons: string[];
  /** Pending migrations whose own SQL is breaking (or could not be checked). */
  risky: string[];
}

/** Lints the pending migrations' SQL; script migrations cannot be read, so they count as unknown. */
async function judge(pending: readonly MigrationFile[], engine: DatabaseEngine['engine']): Promise<MigrationVerdict> {
  if (pending.length === 0) return { verdict: 'none', reasons: ['no pending migration'], risky: [] };
  const scripts = pending.filter((m) => !SQL_FILE.test(m.upPath));
  const sources: MigrationSource[] = [];
  for (const m of pending.filter((p) => SQL_FILE.test(p.upPath))) sources.push({ path: m.upPath, sql: await readFile(m.upPath, 'utf8') });
  // Imported here: the linter (and its SQL parser front end) is only compiled by runs that have migrations to check.
  const lint = sources.length ? await (await import('../../lint/run/lint-sql.js')).lintMigrations(sources, { engine }) : null;
  const risky = new Set(scripts.map((m) => m.id));
  for (const finding of lint?.findings ?? []) {
    if (finding.class !== 'breaking' && finding.class !== 'unchecked') continue;
    const owner = pending.find((m) => m.upPath === finding.file);
    if (owner) risky.add(owner.id);
  }
  const reasons = [...(lint?.reasons ?? []), ...(lint?.notes ?? []), ...scripts.map((m) => `${m.name} is a script migration (${m.upPath}): it cannot be linted, so it counts as breaking`)];
  const verdict = lint?.verdict === 'breaking' ? 'breaking' : scripts.length ? 'unknown' : 'additive';
  return { verdict, reasons, risky: [...risky] };
}

/**
 * Preflight (seed 000 step 3): the history must not record a failed or dirty migration, and every
 * pending migration must be non-destructive or have a down migration. Changes nothing.
 */
export const migrationsCheck: StepExecutor = async (step, context) => {
  const migrations = context.config.database?.migrations;
  if (!migrations) return succeeded('no migrations configured');
  const version = step.params.version as string;
  const dir = migrationsDir(context, version, migrations);
  if (typeof dir !== 'string') return dir;
  try {
    const history = await withEngine(context, (engine) => readToolHistory(engine, migrations.tool));
    if (history && history.blockers.length > 0) {
      return failed(`the ${migrations.tool} history blocks the deploy: ${history.blockers.join('; ')}`, { blockers: history.blockers }, 'REWIND_E_MIGRATION_BLOCKED');
    }
    const files = await listMigrationFiles(migrations.tool, dir);
    const pending = pendingMigrations(history, files);
    const engineName = context.config.database!.engine;
    const judged = await judge(pending, engineName);
    const records: AppliedMigrationRecord[] = pending.map((m) => ({ id: m.id, name: m.name, hasDown: m.downPath !== undefined }));
    const detail = { dir, pending: records, verdict: judged.verdict, reasons: judged.reasons, unknownApplied: unknownApplied(history, files) };
    const allowBreaking = migrations.allowBreaking || step.params.allowBreaking === true;
    const withoutDown = pending.filter((m) => judged.risky.includes(m.id) && m.downPath === undefined);
    if (withoutDown.length > 0 && !allowBreaking) {
      return failed(
        `pending migration${withoutDown.length > 1 ? 's' : ''} ${withoutDown.map((m) => m.name).join(', ')} ${withoutDown.length > 1 ? 'are' : 'is'} ${judged.verdict} and ha${withoutDown.length > 1 ? 've' : 's'} no down migration: ${judged.reasons.slice(0, 3).join('; ')}`,
        detail,
        'REWIND_E_MIGRATION_UNSAFE',
      );
    }
    const names = records.map((m) => m.name).join(', ');
    return succeeded(pending.length ? `${pending.length} pending (${names}): ${judged.verdict}` : 'no pending migration', detail);
  } catch (error) {
    return asFailure(error, 'migration preflight failed: ');
  }
};

/**
 * Applies the pending migrations with the user's command, in the new release's directory. The
 * release's database facts are written before the command runs, so a crash or a half-applied
 * migration still leaves the rollback what it needs; success is read back from the history table,
 * never taken from the command's exit code alone.
 */
export const migrate: StepExecutor = async (step, context) => {
  const migrations = context.config.database?.migrations;
  const version = step.params.version as string;
  const check = await journaled(context, 'migrations-check');
  const backup = await journaled(context, 'db-backup');
  const pending = ((check?.pending as AppliedMigrationRecord[] | undefined) ?? []).slice();
  const facts: ReleaseDatabaseRecord = {
    migrations: pending,
    verdict: (check?.verdict as ReleaseDatabaseRecord['verdict'] | undefined) ?? 'none',
    reasons: (check?.reasons as string[] | undefined) ?? [],
    preUpgradeBackupId: (backup?.backupId as number | undefined) ?? null,
  };
  await context.ledger.setReleaseDatabase(context.env, version, facts, context.now());
  if (!migrations || pending.length === 0) {
    try {
      await recordLiveSchema(context, version);
    } catch (error) {
      return asFailure(error, 'could not read the schema to record it: ');
    }
    return succeeded('no pending migration to apply', { applied: [] });
  }
  const dir = migrationsDir(context, version, migrations);
  if (typeof dir !== 'string') return dir;
  const releaseDir = context.target.releaseDir!(version);

  const partly = async (why: string, detail: Record<string, unknown>): Promise<Outcome> => {
    await context.ledger.setReleaseDatabase(
      context.env,
      version,
      { ...facts, verdict: 'unknown', reasons: [...facts.reasons, `${why}: the schema may be partly migrated, so only the pre-upgrade backup can undo it`] },
      context.now(),
    );
    return failed(why, detail, 'REWIND_E_MIGRATION_FAILED');
  };
  // The same command the plan shows: its environment by reference, read from the config by the executor.
  const result = await context.services.executor.run({
    argv: substituteArgv(migrations.apply, { releaseDir, currentDir: releaseDir, version }),
    cwd: releaseDir,
    env: migrationsEnvRefs(context.env, migrations.env),
    timeoutMs: migrations.timeoutMs,
  });
  const output = `${result.stderr || result.stdout}`.trim().split('\n').slice(-5).join(' | ');
  if (result.exitCode !== 0) {
    return partly(`migration command ${result.timedOut ? 'timed out' : `exited ${result.exitCode ?? result.signal}`}${output ? `: ${output}` : ''}`, { exitCode: result.exitCode, durationMs: result.durationMs });
  }
  try {
    const history = await withEngine(context, (engine) => readToolHistory(engine, migrations.tool));
    const files = (await listMigrationFiles(migrations.tool, dir)).filter((f) => pending.some((p) => p.id === f.id));
    const left = pendingMigrations(history, files);
    if (history && history.blockers.length > 0) return partly(`after the migration command, the history reports: ${history.blockers.join('; ')}`, {});
    if (left.length > 0) return partly(`the migration command exited 0 but ${left.map((m) => m.name).join(', ')} ${left.length > 1 ? 'are' : 'is'} not recorded as applied`, {});
    await recordLiveSchema(context, version);
  } catch (error) {
    return asFailure(error, 'could not read the migration history after migrating: ');
  }
  return succeeded(`applied ${pending.map((m) => m.name).join(', ')}`, { applied: pending.map((m) => m.id), commandMs: result.durationMs });
};

async function requireBackup(context: StepContext, id: number): Promise<BackupRecord | Outcome> {
  const backup = await context.ledger.getBackup(id);
  if (!backup || backup.env !== context.env) return failed(`backup #${id} is not recorded for ${context.env}`, undefined, 'REWIND_E_BACKUP_NOT_FOUND');
  if (backup.deletedAt !== null) return failed(`backup #${id} was pruned at ${new Date(backup.deletedAt).toISOString()}`, undefined, 'REWIND_E_BACKUP_NOT_FOUND');
  return backup;
}

/**
 * A down migration is the user's commands (the SQL, then marking it reverted): a crash between or
 * inside them leaves a state no command can tell apart (a table half dropped, dropped but still
 * recorded as applied), and running them again would fail or do it twice. So when the journal
 * says an earlier attempt of this step was cut short, the database goes back to the safety backup
 * this operation took just before, and the down runs again from that known state.
 */
async function restartFromSafetyBackup(context: StepContext, stepId: string): Promise<{ backupId: number } | Outcome | null> {
  const steps = await context.ledger.listSteps(context.operation.id);
  if ((steps.find((s) => s.stepId === stepId)?.attempt ?? 1) < 2) return null;
  const safety = await journaled(context, 'db-safety-backup');
  if (!safety) return failed(`an earlier attempt of ${stepId} was cut short and this operation has no safety backup to start again from`, undefined, 'REWIND_E_MIGRATION_FAILED');
  const backup = await requireBackup(context, safety.backupId as number);
  if ('status' in backup) return backup;
  await withEngine(context, (engine) => engine.restore(backup));
  return { backupId: backup.id };
}

/** Before anything is touched: the backup to restore must match its sha256 and be readable. */
export const dbCheckBackup: StepExecutor = async (step, context) => {
  const backup = await requireBackup(context, step.params.backupId as number);
  if ('status' in backup) return backup;
  const verdict = await withEngine(context, (engine) => engine.verify(backup));
  if (!verdict.ok) return failed(`backup #${backup.id} refused before anything was touched: ${verdict.reason}`, { backupId: backup.id, path: backup.path }, 'REWIND_E_BACKUP_CORRUPT');
  return succeeded(`backup #${backup.id} matches sha256 ${backup.sha256.slice(0, 12)}… and is readable`, { backupId: backup.id, path: backup.path });
};

/** Stops the app so nothing writes while the database is restored (seed 000 step 1; the database keeps running). */
export const stopApp: StepExecutor = async (_step, { target }) => target.stop();

function howToUndo(context: StepContext, safety: Record<string, unknown> | undefined): string {
  return safety
    ? `; the state before the restore is in safety backup #${String(safety.backupId)} (${String(safety.path)}): \`rewind db restore ${context.env} --backup ${String(safety.backupId)}\` puts it back`
    : '';
}

export const dbRestore: StepExecutor = async (step, context) => {
  const backup = await requireBackup(context, step.params.backupId as number);
  if ('status' in backup) return backup;
  const safety = await journaled(context, 'db-safety-backup');
  try {
    const started = performance.now();
    await withEngine(context, (engine) => engine.restore(backup));
    // The migrations of these releases are gone with the restore: a later rollback must not count them again.
    const undoes = (step.params.undoes as string[] | undefined) ?? [];
    for (const version of undoes) {
      const release = await context.ledger.getRelease(context.env, version);
      if (!release?.database) continue;
      const reasons = [...release.database.reasons, `migrations undone by restoring backup #${backup.id} in operation ${context.operation.id}`];
      await context.ledger.setReleaseDatabase(context.env, version, { ...release.database, migrations: [], verdict: 'none', reasons }, context.now());
    }
    return succeeded(`restored backup #${backup.id} (${backup.path})`, { backupId: backup.id, undoes, restoreMs: Math.round(performance.now() - started) });
  } catch (error) {
    const coded = toRewindError(error);
    // `untouched`: the engine says the failed restore changed nothing (one transaction), so the app may run again on it.
    return failed(`restore of backup #${backup.id} failed: ${coded.message}${howToUndo(context, safety)}`, { backupId: backup.id, safetyBackupId: safety?.backupId ?? null, untouched: coded.details.atomic === true }, coded.code);
  }
};

const describeCount = (count: number | null): string => (count === null ? 'no such table' : `${count} rows`);

/** `users 3, orders absent`: critical row counts for step messages. */
const listCounts = (counts: RowCounts): string =>
  Object.entries(counts)
    .map(([table, n]) => `${table} ${n === null ? 'absent' : n}`)
    .join(', ');

function compareSnapshot(backup: BackupRecord, live: DatabaseSnapshot): string[] {
  const problems: string[] = [];
  const recorded = JSON.stringify(backup.migrationState);
  if (JSON.stringify(live.migrationState) !== recorded) {
    const names = (backup.migrationState as { name: string; rows: unknown[] }[]).map((t) => `${t.name} (${t.rows.length} rows)`).join(', ') || 'none';
    const now = live.migrationState.map((t) => `${t.name} (${t.rows.length} rows)`).join(', ') || 'none';
    problems.push(`migration tables differ from the backup's record: recorded ${names}, found ${now}`);
  }
  // A table absent when the backup was taken (null) must be absent again: the restore removes what came after.
  for (const [table, count] of Object.entries(backup.rowCounts)) {
    const now = ownValue(live.rowCounts, table) ?? null;
    if (now !== count) problems.push(`${table}: ${describeCount(now)}, the backup recorded ${describeCount(count)}`);
  }
  return problems;
}

/** Seed 000 step 3: the migration table state and the critical tables' row counts equal the backup's record. */
export const dbVerify: StepExecutor = async (step, context) => {
  const backup = await requireBackup(context, step.params.backupId as number);
  if ('status' in backup) return backup;
  try {
    const live = await withEngine(context, (engine) => engine.snapshot(Object.keys(backup.rowCounts)));
    const problems = compareSnapshot(backup, live);
    if (problems.length > 0) {
      return failed(`restored database does not match backup #${backup.id}: ${problems.join('; ')}${howToUndo(context, await journaled(context, 'db-safety-backup'))}`, { problems }, 'REWIND_E_RESTORE_MISMATCH');
    }
    if (typeof step.params.recordFor === 'string') await recordLiveSchema(context, step.params.recordFor);
    const tables = listCounts(live.rowCounts);
    return succeeded(`migration tables match backup #${backup.id}${tables ? `; row counts ${tables}` : ''}`, { rowCounts: live.rowCounts, migrationTables: live.migrationState.map((t) => t.name) });
  } catch (error) {
    return asFailure(error, 'verification after restore failed: ');
  }
};

/**
 * Preflight (seed 000, "schema drift detection pre-upgrade"): the live schema must equal the one
 * recorded when the running release became current. A hand-made change found here would otherwise
 * be baked into the pre-upgrade backup and surprise the next migration.
 */
export const driftCheck: StepExecutor = async (step, context) => {
  const version = step.params.version as string;
  const recorded = (await context.ledger.getRelease(context.env, version))?.database?.schema;
  if (!recorded) return succeeded(`no schema is recorded for ${version}: nothing to compare`);
  try {
    return await withEngine(context, async (engine) => {
      if (!engine.readSchema) return succeeded(`the ${engine.engine} engine cannot read its schema: drift not checked`);
      const differences = diffSchemas(recorded, await engine.readSchema());
      if (differences.length === 0) return succeeded(`live schema matches the one recorded for ${version}`);
      return failed(
        `the live schema drifted from the one recorded for ${version} (${differences.length} difference${differences.length > 1 ? 's' : ''}):\n${renderSchemaDiff(differences)}`,
        { differences },
        'REWIND_E_DRIFT',
      );
    });
  } catch (error) {
    return asFailure(error, 'drift check failed: ');
  }
};

/**
 * Reverts exactly one migration with the user's down commands (seed 003: one step, never chained),
 * then checks from the history table that this migration, and only it, is no longer applied.
 */
export const dbDown: StepExecutor = async (step, context) => {
  const migrations = context.config.database?.migrations;
  if (!migrations) return failed('no database.migrations configured', undefined, 'REWIND_E_CONFIG_INVALID');
  const id = step.params.migration as string;
  try {
    const before = await withEngine(context, (engine) => readToolHistory(engine, migrations.tool));
    const applied = (history: MigrationHistory | null) => new Set((history?.applied ?? []).filter((m) => m.state === 'applied').map((m) => m.id));
    const wasApplied = applied(before);
    // Idempotent after a crash: if it is already reverted, do not revert another one (but still
    // record it below: a crash may have come between the down commands and the record).
    const alreadyReverted = before?.tool === 'golang-migrate' ? before.applied[0]?.id !== id : !wasApplied.has(id);
    const restarted = !alreadyReverted ? await restartFromSafetyBackup(context, step.id) : null;
    if (restarted && 'status' in restarted) return restarted;
    if (!alreadyReverted) {
      // The commands come from the stored plan: their environment holds references (or, in a plan stored
      // before references existed, values), which the executor resolves from the config as it runs them.
      for (const command of step.commands) {
        const result = await context.services.executor.run(command);
        if (result.exitCode !== 0) {
          const output = `${result.stderr || result.stdout}`.trim().split('\n').slice(-5).join(' | ');
          return failed(`down command ${command.argv[0]} ${result.timedOut ? 'timed out' : `exited ${result.exitCode ?? result.signal}`}${output ? `: ${output}` : ''}`, { migration: id }, 'REWIND_E_MIGRATION_FAILED');
        }
      }
      const after = await withEngine(context, (engine) => readToolHistory(engine, migrations.tool));
      if (after?.tool === 'golang-migrate') {
        if (after.applied[0]?.id === id) return failed(`the down commands ran but ${id} is still the current version`, { migration: id }, 'REWIND_E_MIGRATION_FAILED');
      } else {
        const now = applied(after);
        const gone = [...wasApplied].filter((m) => !now.has(m));
        if (!gone.includes(id)) return failed(`the down commands ran but ${id} is still recorded as applied`, { migration: id }, 'REWIND_E_MIGRATION_FAILED');
        if (gone.length > 1) return failed(`the down commands reverted ${gone.length} migrations (${gone.join(', ')}), not one`, { migration: id, reverted: gone }, 'REWIND_E_MIGRATION_FAILED');
      }
    }
    const release = step.params.release as string;
    const record = (await context.ledger.getRelease(context.env, release))?.database;
    if (record?.migrations.some((m) => m.id === id)) {
      const reasons = [...record.reasons, `${id} reverted by a down migration in operation ${context.operation.id}`];
      await context.ledger.setReleaseDatabase(context.env, release, { ...record, migrations: record.migrations.filter((m) => m.id !== id), reasons }, context.now());
    }
    // The release runs on the reverted schema by choice: drift is judged against it from here on.
    await recordLiveSchema(context, release);
    if (alreadyReverted) return succeeded(`${id} is not applied (already reverted)`, { migration: id, alreadyReverted: true });
    return succeeded(`reverted ${id} (one step)${restarted ? ` after restoring safety backup #${restarted.backupId}: an earlier attempt was cut short` : ''}`, { migration: id, ...(restarted ? { restartedFrom: restarted.backupId } : {}) });
  } catch (error) {
    return asFailure(error, 'down migration failed: ');
  }
};

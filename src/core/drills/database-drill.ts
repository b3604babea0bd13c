import { closeInterruptedDrills, drillOwner } from './interrupted-drills.js';
import { RewindError, toRewindError } from '../../errors/rewind-error.js';
import type { MigrationTableState, RowCounts } from '../../ports/database-engine.js';
import type { BackupRecord, DrillRecord } from '../../ports/ledger.js';
import { requireDatabase } from '../database/database-backup.js';
import { lookUpEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { permitDrill, type DrillPermission } from './drill-policy.js';

export interface DatabaseDrillOptions extends DrillPermission {
  dryRun?: boolean;
}

/** One thing the test restore checked. */
export interface RestoreCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface DatabaseDrillPlan {
  env: string;
  backup: { id: number; path: string; kind: string; createdAt: number; engine: string };
  checks: string[];
  forcedReason: string | null;
}

export interface DatabaseDrillOutcome {
  ok: boolean;
  dryRun?: boolean;
  plan: DatabaseDrillPlan;
  drill?: DrillRecord;
  checks?: RestoreCheck[];
  error?: RewindError;
}

const rowsKey = (table: MigrationTableState) => JSON.stringify(table.rows);
const newestOf = (table: MigrationTableState): string => {
  const row = table.rows.at(-1);
  if (!row) return 'none';
  const id = row.migration_name ?? row.name ?? row.version ?? row.id ?? row.hash;
  return id === undefined ? `${table.rows.length} rows` : String(id);
};

/** What the scratch restore holds against what the backup recorded when it was taken. */
export function compareRestore(backup: BackupRecord, restored: { migrationState: MigrationTableState[]; rowCounts: RowCounts }): RestoreCheck[] {
  const checks: RestoreCheck[] = [];
  const recorded = (backup.migrationState ?? []) as MigrationTableState[];
  if (recorded.length === 0) checks.push({ check: 'migration table', ok: true, detail: 'the backup recorded no migration table (taken before any migration ran): nothing to compare' });
  for (const table of recorded) {
    const found = restored.migrationState.find((t) => t.name === table.name);
    if (!found) {
      checks.push({ check: `migration table ${table.name}`, ok: false, detail: `missing from the restore (the backup recorded ${table.rows.length} rows, newest ${newestOf(table)})` });
      continue;
    }
    const same = rowsKey(found) === rowsKey(table);
    checks.push({
      check: `migration table ${table.name}`,
      ok: same,
      detail: same ? `${found.rows.length} rows, newest ${newestOf(found)}, as recorded` : `restored ${found.rows.length} rows, newest ${newestOf(found)}; the backup recorded ${table.rows.length}, newest ${newestOf(table)}`,
    });
  }
  const tables = Object.keys(backup.rowCounts);
  if (tables.length === 0) checks.push({ check: 'row counts', ok: true, detail: 'no row counts recorded with the backup (database.criticalTables is empty)' });
  for (const table of tables) {
    const expected = backup.rowCounts[table] ?? null;
    const got = Object.hasOwn(restored.rowCounts, table) ? restored.rowCounts[table]! : null;
    const ok = expected === got;
    const say = (n: number | null) => (n === null ? 'no such table' : `${n} rows`);
    checks.push({ check: `rows of ${table}`, ok, detail: ok ? `${say(got)}, as recorded` : `restored ${say(got)}; the backup recorded ${say(expected)}` });
  }
  return checks;
}

/**
 * A database drill (docs/drills.md): restore the newest backup into a scratch database (never the
 * live one), check it holds what the backup recorded when it was taken (migration history, row
 * counts of the critical tables), record the result on the backup, and drop the scratch database.
 * A backup never test-restored this way is not trusted (`rewind status`).
 */
export async function runDatabaseDrill(services: Services, env: string, options: DatabaseDrillOptions = {}): Promise<DatabaseDrillOutcome> {
  const { config } = lookUpEnvironment(services.config, env);
  const forcedReason = permitDrill(env, config, options);
  const database = requireDatabase(env, config);
  const backup = (await services.ledger.listBackups(env))[0];
  if (!backup) throw new RewindError('REWIND_E_DRILL_NOT_READY', `database drill on ${env}: no backup is recorded (take one with \`rewind db backup ${env}\`). Nothing was changed`, { env });
  const engine = services.createDatabaseEngine(env, config);
  try {
    if (!engine.restoreIntoScratch) {
      throw new RewindError('REWIND_E_DRILL_UNSUPPORTED', `database drill on ${env}: the ${engine.engine} engine cannot restore into a scratch database (postgres, mysql and sqlite can). Nothing was changed`, { env });
    }
    const plan: DatabaseDrillPlan = {
      env,
      backup: { id: backup.id, path: backup.path, kind: backup.kind, createdAt: backup.createdAt, engine: backup.engine },
      checks: ['restore into a scratch database (dropped afterwards)', 'migration history as recorded', `row counts of ${database.criticalTables.length ? database.criticalTables.join(', ') : 'no critical table'} as recorded`],
      forcedReason,
    };
    if (options.dryRun) return { ok: true, dryRun: true, plan };

    await closeInterruptedDrills(services, env);
    const drill = await services.ledger.recordDrill({ env, owner: drillOwner(), kind: 'database', failure: null, actor: services.actor, forcedReason, fromVersion: backup.releaseVersion, drillVersion: null, backupId: backup.id, startedAt: services.now() });
    await services.sink.emit({ event: 'drill_start', env, drillId: drill.id, kind: 'database', failure: null, from: backup.releaseVersion, drillVersion: null, backupId: backup.id, forced: forcedReason !== null, forceReason: forcedReason });
    const started = performance.now();
    let checks: RestoreCheck[];
    let scratch: string | null = null;
    try {
      const restored = await engine.restoreIntoScratch(backup, database.criticalTables);
      scratch = restored.scratch;
      checks = compareRestore(backup, restored);
    } catch (error) {
      checks = [{ check: 'restore', ok: false, detail: toRewindError(error).message }];
    }
    const restoreMs = Math.round(performance.now() - started);
    const failedChecks = checks.filter((c) => !c.ok);
    const ok = failedChecks.length === 0;
    const reason = ok ? undefined : failedChecks.map((c) => `${c.check}: ${c.detail}`).join('; ');
    const at = services.now();
    await services.ledger.recordBackupTestRestore(backup.id, { at, ok, ...(reason ? { reason } : {}), drillId: drill.id });
    await services.ledger.finishDrill(drill.id, { state: ok ? 'passed' : 'failed', deployOperationId: null, rollbackOperationId: null, ttdMs: null, ttrMs: null, detail: { checks, restoreMs, scratch, ...(reason ? { gap: reason } : {}) }, finishedAt: at });
    await services.sink.emit({ event: 'drill_complete', env, drillId: drill.id, kind: 'database', failure: null, success: ok, ttdMs: null, ttrMs: null, ...(reason ? { error: reason } : {}) });
    return {
      ok,
      plan,
      drill: (await services.ledger.listDrills({ env, limit: 1 }))[0],
      checks,
      ...(reason ? { error: new RewindError('REWIND_E_DRILL_FAILED', `database drill #${drill.id} on ${env}: backup #${backup.id} ${reason}`, { env, drillId: drill.id }) } : {}),
    };
  } finally {
    await engine.close();
  }
}

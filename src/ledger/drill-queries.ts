import type { Kysely, Selectable } from 'kysely';
import type { BackupTestRestore, DrillFailure, DrillKind, DrillRecord, DrillResult, DrillState, NewDrill } from '../ports/ledger-drills.js';
import type { LedgerTables } from './ledger-tables.js';

/** The drill half of KyselyLedger (ports/ledger-drills.ts). */

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

const toDrill = (r: Selectable<LedgerTables['drills']>): DrillRecord => ({
  id: Number(r.id),
  env: r.env,
  kind: r.kind as DrillKind,
  failure: r.failure as DrillFailure | null,
  state: r.state as DrillState,
  actor: r.actor,
  forcedReason: r.forced_reason,
  fromVersion: r.from_version,
  drillVersion: r.drill_version,
  backupId: num(r.backup_id),
  deployOperationId: r.deploy_operation_id,
  rollbackOperationId: r.rollback_operation_id,
  ttdMs: num(r.ttd_ms),
  ttrMs: num(r.ttr_ms),
  detail: JSON.parse(r.detail) as Record<string, unknown>,
  startedAt: Number(r.started_at),
  finishedAt: num(r.finished_at),
  owner: r.owner_host !== null && r.owner_pid !== null ? { host: r.owner_host, pid: Number(r.owner_pid) } : null,
});

export async function recordDrill(db: Kysely<LedgerTables>, drill: NewDrill): Promise<DrillRecord> {
  const row = await db
    .insertInto('drills')
    .values({
      env: drill.env,
      kind: drill.kind,
      failure: drill.failure,
      state: 'running',
      actor: drill.actor,
      forced_reason: drill.forcedReason,
      from_version: drill.fromVersion,
      drill_version: drill.drillVersion,
      backup_id: drill.backupId,
      deploy_operation_id: null,
      rollback_operation_id: null,
      ttd_ms: null,
      ttr_ms: null,
      detail: '{}',
      started_at: drill.startedAt,
      finished_at: null,
      owner_host: drill.owner?.host ?? null,
      owner_pid: drill.owner?.pid ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toDrill(row);
}

export async function finishDrill(db: Kysely<LedgerTables>, id: number, result: DrillResult): Promise<void> {
  await db
    .updateTable('drills')
    .set({
      state: result.state,
      deploy_operation_id: result.deployOperationId,
      rollback_operation_id: result.rollbackOperationId,
      ttd_ms: result.ttdMs,
      ttr_ms: result.ttrMs,
      detail: JSON.stringify(result.detail),
      finished_at: result.finishedAt,
    })
    .where('id', '=', id)
    // Only a drill still running: one closed as interrupted stays as it was closed.
    .where('state', '=', 'running')
    .execute();
}

export async function listDrills(db: Kysely<LedgerTables>, options: { env?: string; limit?: number } = {}): Promise<DrillRecord[]> {
  let query = db.selectFrom('drills').selectAll();
  if (options.env !== undefined) query = query.where('env', '=', options.env);
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 1000)
    .execute();
  return rows.map(toDrill);
}

export async function recordBackupTestRestore(db: Kysely<LedgerTables>, backupId: number, result: BackupTestRestore): Promise<void> {
  await db.updateTable('backups').set({ test_restore: JSON.stringify(result) }).where('id', '=', backupId).execute();
}

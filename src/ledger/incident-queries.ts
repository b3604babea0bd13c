import type { Kysely, Selectable, Updateable } from 'kysely';
import type { ChecklistTick, IncidentChange, IncidentFields, IncidentRecord, IncidentRollbackFacts, IncidentStatus, NewIncident } from '../ports/ledger-incidents.js';
import type { LedgerTables } from './ledger-tables.js';

/** The incident half of KyselyLedger (ports/ledger-incidents.ts), kept apart so neither file grows past reading. */

const toIncident = (r: Selectable<LedgerTables['incidents']>): IncidentRecord => ({
  id: Number(r.id),
  env: r.env,
  status: r.status as IncidentStatus,
  severity: r.severity,
  rollbacks: JSON.parse(r.rollbacks) as IncidentRollbackFacts[],
  fields: JSON.parse(r.fields) as IncidentFields,
  openedAt: Number(r.opened_at),
  closedAt: r.closed_at === null ? null : Number(r.closed_at),
  closedBy: r.closed_by,
  updatedAt: Number(r.updated_at),
});

export async function createIncident(db: Kysely<LedgerTables>, incident: NewIncident): Promise<IncidentRecord> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('incidents')
      .values({
        env: incident.env,
        status: 'open',
        severity: incident.severity,
        rollbacks: JSON.stringify(incident.rollbacks),
        fields: '{}',
        opened_at: incident.openedAt,
        closed_at: null,
        closed_by: null,
        updated_at: incident.openedAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await linkOperations(trx, Number(row.id), incident.rollbacks);
    return toIncident(row);
  });
}

async function linkOperations(db: Kysely<LedgerTables>, id: number, rollbacks: IncidentRollbackFacts[]): Promise<void> {
  for (const r of rollbacks) {
    await db.insertInto('incident_operations').values({ operation_id: r.operationId, incident_id: id }).onConflict((oc) => oc.column('operation_id').doNothing()).execute();
  }
}

export async function getIncident(db: Kysely<LedgerTables>, id: number): Promise<IncidentRecord | undefined> {
  if (!Number.isSafeInteger(id)) return undefined;
  const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toIncident(row) : undefined;
}

export async function findOpenIncident(db: Kysely<LedgerTables>, env: string): Promise<IncidentRecord | undefined> {
  const row = await db.selectFrom('incidents').selectAll().where('env', '=', env).where('status', '=', 'open').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toIncident(row) : undefined;
}

export async function listIncidents(db: Kysely<LedgerTables>, options: { env?: string; status?: IncidentStatus; limit?: number } = {}): Promise<IncidentRecord[]> {
  let query = db.selectFrom('incidents').selectAll();
  if (options.env !== undefined) query = query.where('env', '=', options.env);
  if (options.status !== undefined) query = query.where('status', '=', options.status);
  const rows = await query.orderBy('id', 'desc').limit(options.limit ?? 100).execute();
  return rows.map(toIncident);
}

export async function updateIncident(db: Kysely<LedgerTables>, id: number, change: IncidentChange, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const set: Updateable<LedgerTables['incidents']> = { updated_at: now };
    if (change.severity !== undefined) set.severity = change.severity;
    if (change.rollbacks !== undefined) set.rollbacks = JSON.stringify(change.rollbacks);
    if (change.fields !== undefined) set.fields = JSON.stringify(change.fields);
    if (change.status !== undefined) set.status = change.status;
    if (change.closedAt !== undefined) set.closed_at = change.closedAt;
    if (change.closedBy !== undefined) set.closed_by = change.closedBy;
    const result = await trx.updateTable('incidents').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    if (change.rollbacks) await linkOperations(trx, id, change.rollbacks);
    return true;
  });
}

export async function findIncidentByOperation(db: Kysely<LedgerTables>, operationId: string): Promise<IncidentRecord | undefined> {
  const link = await db.selectFrom('incident_operations').select('incident_id').where('operation_id', '=', operationId).executeTakeFirst();
  return link ? getIncident(db, Number(link.incident_id)) : undefined;
}

export async function tickChecklistItem(db: Kysely<LedgerTables>, tick: ChecklistTick): Promise<void> {
  await db
    .insertInto('checklist_ticks')
    .values({ operation_id: tick.operationId, item: tick.item, note: tick.note, actor: tick.actor, at: tick.at })
    .onConflict((oc) => oc.columns(['operation_id', 'item']).doUpdateSet({ note: tick.note, actor: tick.actor, at: tick.at }))
    .execute();
}

export async function listChecklistTicks(db: Kysely<LedgerTables>, operationId: string): Promise<ChecklistTick[]> {
  const rows = await db.selectFrom('checklist_ticks').selectAll().where('operation_id', '=', operationId).orderBy('at').orderBy('item').execute();
  return rows.map((r) => ({ operationId: r.operation_id, item: r.item, note: r.note, actor: r.actor, at: Number(r.at) }));
}

import type { Kysely, Selectable } from 'kysely';
import type { NewNotification, NotificationClaim, NotificationCounts, NotificationOutcome, NotificationRecord, NotificationState } from '../ports/ledger.js';
import type { LedgerTables } from './ledger-tables.js';

/**
 * The notify outbox's queries (the Ledger's `*Notifications` methods), apart from kysely-ledger.ts
 * so that file stays about releases and operations. Same SQL on both dialects.
 */

type Row = Selectable<LedgerTables['notify_outbox']>;
const num = (value: number | null): number | null => (value === null ? null : Number(value));

const toNotification = (r: Row): NotificationRecord => ({
  id: Number(r.id),
  key: r.key,
  env: r.env,
  notifier: r.notifier,
  destination: r.destination,
  label: r.label,
  event: r.event,
  operationId: r.operation_id,
  payload: JSON.parse(r.payload),
  state: r.state as NotificationState,
  attempts: Number(r.attempts),
  nextAttemptAt: Number(r.next_attempt_at),
  claimedBy: r.claimed_by,
  claimedUntil: num(r.claimed_until),
  lastError: r.last_error,
  createdAt: Number(r.created_at),
  queuedAt: Number(r.queued_at),
  updatedAt: Number(r.updated_at),
  deliveredAt: num(r.delivered_at),
});

export async function enqueueNotifications(db: Kysely<LedgerTables>, messages: readonly NewNotification[]): Promise<NotificationRecord[]> {
  if (messages.length === 0) return [];
  await db
    .insertInto('notify_outbox')
    .values(
      messages.map((m) => ({
        key: m.key,
        env: m.env,
        notifier: m.notifier,
        destination: m.destination,
        label: m.label,
        event: m.event,
        operation_id: m.operationId,
        payload: JSON.stringify(m.payload ?? null),
        state: 'pending',
        attempts: 0,
        next_attempt_at: m.now,
        claimed_by: null,
        claimed_until: null,
        last_error: null,
        created_at: m.now,
        queued_at: m.now,
        updated_at: m.now,
        delivered_at: null,
      })),
    )
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const rows = await db.selectFrom('notify_outbox').selectAll().where('key', 'in', messages.map((m) => m.key)).orderBy('id').execute();
  return rows.map(toNotification);
}

export async function claimNotifications(db: Kysely<LedgerTables>, claim: NotificationClaim): Promise<NotificationRecord[]> {
  return db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('notify_outbox')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', claim.now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', claim.now)]));
    if (claim.env !== undefined) query = query.where('env', '=', claim.env);
    const due = await query.orderBy('id').limit(claim.limit).execute();
    if (due.length === 0) return [];
    const ids = due.map((r) => Number(r.id));
    // The conditions again in the UPDATE: on PostgreSQL (READ COMMITTED) a concurrent claimer that
    // committed first makes them false here, so a row is never claimed twice.
    await trx
      .updateTable('notify_outbox')
      .set((eb) => ({ claimed_by: claim.owner, claimed_until: claim.now + claim.leaseMs, attempts: eb('attempts', '+', 1), updated_at: claim.now }))
      .where('id', 'in', ids)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', claim.now)]))
      .execute();
    const rows = await trx.selectFrom('notify_outbox').selectAll().where('id', 'in', ids).where('claimed_by', '=', claim.owner).orderBy('id').execute();
    return rows.map(toNotification);
  });
}

export async function finishNotification(db: Kysely<LedgerTables>, id: number, owner: string, outcome: NotificationOutcome): Promise<boolean> {
  const result = await db
    .updateTable('notify_outbox')
    .set({
      state: outcome.state,
      claimed_by: null,
      claimed_until: null,
      updated_at: outcome.now,
      ...(outcome.state === 'delivered' ? { delivered_at: outcome.now, last_error: null } : { last_error: outcome.error }),
      ...(outcome.state === 'pending' ? { next_attempt_at: outcome.nextAttemptAt } : {}),
    })
    .where('id', '=', id)
    .where('claimed_by', '=', owner)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listNotifications(
  db: Kysely<LedgerTables>,
  options: { env?: string; states?: readonly NotificationState[]; limit?: number } = {},
): Promise<NotificationRecord[]> {
  let query = db.selectFrom('notify_outbox').selectAll();
  if (options.env !== undefined) query = query.where('env', '=', options.env);
  if (options.states) {
    if (options.states.length === 0) return [];
    query = query.where('state', 'in', [...options.states]);
  }
  const rows = await query.orderBy('id', 'desc').limit(options.limit ?? 100).execute();
  return rows.map(toNotification);
}

export async function countNotifications(db: Kysely<LedgerTables>, env?: string): Promise<NotificationCounts> {
  let query = db.selectFrom('notify_outbox').select((eb) => ['state', eb.fn.countAll().as('n')]).groupBy('state');
  if (env !== undefined) query = query.where('env', '=', env);
  const counts: NotificationCounts = { pending: 0, delivered: 0, dead: 0 };
  for (const row of await query.execute()) if (Object.hasOwn(counts, row.state)) counts[row.state as NotificationState] = Number(row.n);
  return counts;
}

export async function requeueNotifications(db: Kysely<LedgerTables>, options: { env?: string; ids?: readonly number[]; now: number }): Promise<NotificationRecord[]> {
  if (options.ids && options.ids.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('notify_outbox').select('id').where('state', '=', 'dead');
    if (options.env !== undefined) query = query.where('env', '=', options.env);
    if (options.ids) query = query.where('id', 'in', [...options.ids]);
    const ids = (await query.execute()).map((r) => Number(r.id));
    if (ids.length === 0) return [];
    await trx
      .updateTable('notify_outbox')
      .set({ state: 'pending', attempts: 0, next_attempt_at: options.now, queued_at: options.now, claimed_by: null, claimed_until: null, updated_at: options.now })
      .where('id', 'in', ids)
      .where('state', '=', 'dead')
      .execute();
    const rows = await trx.selectFrom('notify_outbox').selectAll().where('id', 'in', ids).orderBy('id').execute();
    return rows.map(toNotification);
  });
}

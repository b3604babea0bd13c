import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type {
  BackupKind,
  BackupRecord,
  CiResult,
  EnvironmentRecord,
  EventRecord,
  Ledger,
  LockRecord,
  LockRequest,
  LockResult,
  NewBackup,
  NewEvent,
  NewNotification,
  NewRelease,
  NotificationClaim,
  NotificationCounts,
  NotificationOutcome,
  NotificationRecord,
  NotificationState,
  OperationKind,
  OperationRecord,
  OperationState,
  ReleaseRecord,
  ReleaseState,
  ReleaseDatabaseRecord,
  StepRecord,
  StepState,
} from '../ports/ledger.js';
import type { LedgerTables } from './ledger-tables.js';
import * as incidents from './incident-queries.js';
import { indexHint, readDoraRows } from './dora-queries.js';
import type { DoraRows } from '../ports/ledger-dora.js';
import type { ChecklistTick, IncidentChange, IncidentRecord, IncidentStatus, NewIncident } from '../ports/ledger-incidents.js';
import type { RowCounts } from '../ports/database-engine.js';
import * as outbox from './notification-outbox.js';
import * as drills from './drill-queries.js';
import type { BackupTestRestore, DrillRecord, DrillResult, NewDrill } from '../ports/ledger-drills.js';

type Row<T extends keyof LedgerTables> = Selectable<LedgerTables[T]>;

const toRelease = (r: Row<'releases'>): ReleaseRecord => ({
  env: r.env,
  version: r.version,
  seq: Number(r.seq),
  artifact: r.artifact,
  digest: r.digest,
  commit: r.commit_sha,
  committedAt: r.committed_at === null || r.committed_at === undefined ? null : Number(r.committed_at),
  ci: r.ci as CiResult,
  state: r.state as ReleaseState,
  goodSeq: r.good_seq === null ? null : Number(r.good_seq),
  database: r.database_facts ? (JSON.parse(r.database_facts) as ReleaseDatabaseRecord) : null,
  drill: Number(r.drill) === 1,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const toOperation = (r: Row<'operations'>): OperationRecord => ({
  id: r.id,
  env: r.env,
  kind: r.kind as OperationKind,
  fromVersion: r.from_version,
  toVersion: r.to_version,
  state: r.state as OperationState,
  plan: JSON.parse(r.plan),
  actor: r.actor,
  parentId: r.parent_id,
  reason: r.reason,
  error: r.error,
  startedAt: Number(r.started_at),
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

const toStep = (r: Row<'steps'>): StepRecord => ({
  operationId: r.operation_id,
  index: Number(r.idx),
  stepId: r.step_id,
  kind: r.kind,
  state: r.state as StepState,
  attempt: Number(r.attempt),
  detail: JSON.parse(r.detail),
  startedAt: Number(r.started_at),
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

const toEvent = (r: Row<'events'>): EventRecord => ({
  id: Number(r.id),
  at: Number(r.at),
  env: r.env,
  operationId: r.operation_id,
  event: r.event,
  actor: r.actor,
  fromVersion: r.from_version,
  toVersion: r.to_version,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

const toLock = (r: Row<'locks'>): LockRecord => ({
  env: r.env,
  token: r.token,
  holder: r.holder,
  host: r.host,
  pid: Number(r.pid),
  operationId: r.operation_id,
  acquiredAt: Number(r.acquired_at),
  heartbeatAt: Number(r.heartbeat_at),
  expiresAt: Number(r.expires_at),
});

const toBackup = (r: Row<'backups'>): BackupRecord => ({
  id: Number(r.id),
  env: r.env,
  releaseVersion: r.release_version,
  kind: r.kind as BackupKind,
  engine: r.engine,
  format: r.format,
  path: r.path,
  size: Number(r.size),
  sha256: r.sha256,
  migrationState: JSON.parse(r.migration_state),
  rowCounts: JSON.parse(r.row_counts) as RowCounts,
  createdAt: Number(r.created_at),
  deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
  testRestore: r.test_restore ? (JSON.parse(r.test_restore) as BackupTestRestore) : null,
});

/** The one ledger implementation; the dialect only changes how the Kysely instance was built. */
export class KyselyLedger implements Ledger {
  constructor(
    private readonly db: Kysely<LedgerTables>,
    readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ensureEnvironment(name: string, now: number): Promise<EnvironmentRecord> {
    await this.db
      .insertInto('environments')
      .values({ name, current_version: null, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.getEnvironment(name))!;
  }

  async getEnvironment(name: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db.selectFrom('environments').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { name: row.name, currentVersion: row.current_version, updatedAt: Number(row.updated_at) } : undefined;
  }

  async setCurrentVersion(name: string, version: string | null, now: number): Promise<void> {
    await this.db.updateTable('environments').set({ current_version: version, updated_at: now }).where('name', '=', name).execute();
  }

  async registerRelease(release: NewRelease, now: number): Promise<{ release: ReleaseRecord; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      await this.serializeReleaseWriters(trx, release.env);
      const existing = await trx.selectFrom('releases').selectAll().where('env', '=', release.env).where('version', '=', release.version).executeTakeFirst();
      if (existing) return { release: toRelease(existing), created: false };
      const { maxSeq } = await trx
        .selectFrom('releases')
        .select((eb) => eb.fn.max('seq').as('maxSeq'))
        .where('env', '=', release.env)
        .executeTakeFirstOrThrow();
      const row = await trx
        .insertInto('releases')
        .values({
          env: release.env,
          version: release.version,
          seq: Number(maxSeq ?? 0) + 1,
          artifact: release.artifact,
          digest: release.digest,
          commit_sha: release.commit,
          committed_at: release.committedAt ?? null,
          ci: release.ci,
          state: 'registered',
          good_seq: null,
          database_facts: null,
          drill: release.drill ? 1 : 0,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { release: toRelease(row), created: true };
    });
  }

  async getRelease(env: string, version: string): Promise<ReleaseRecord | undefined> {
    const row = await this.db.selectFrom('releases').selectAll().where('env', '=', env).where('version', '=', version).executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  async listReleases(env: string, options: { limit?: number; states?: readonly ReleaseState[] } = {}): Promise<ReleaseRecord[]> {
    let query = this.db.selectFrom('releases').selectAll().where('env', '=', env);
    if (options.states) {
      if (options.states.length === 0) return [];
      query = query.where('state', 'in', [...options.states]);
    }
    const rows = await query
      .orderBy('seq', 'desc')
      .limit(options.limit ?? 1000)
      .execute();
    return rows.map(toRelease);
  }

  async findReleasesByDigest(digest: string): Promise<ReleaseRecord[]> {
    const rows = await this.db.selectFrom('releases').selectAll().where('digest', '=', digest).orderBy('env').orderBy('seq').execute();
    return rows.map(toRelease);
  }

  async setReleaseState(env: string, version: string, state: ReleaseState, now: number): Promise<void> {
    await this.db.updateTable('releases').set({ state, updated_at: now }).where('env', '=', env).where('version', '=', version).execute();
  }

  async setReleaseDatabase(env: string, version: string, facts: ReleaseDatabaseRecord, now: number): Promise<void> {
    await this.db
      .updateTable('releases')
      .set({ database_facts: JSON.stringify(facts), updated_at: now })
      .where('env', '=', env)
      .where('version', '=', version)
      .execute();
  }

  async markReleaseGood(env: string, version: string, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.serializeReleaseWriters(trx, env);
      const { maxGood } = await trx
        .selectFrom('releases')
        .select((eb) => eb.fn.max('good_seq').as('maxGood'))
        .where('env', '=', env)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('releases')
        .set({ state: 'good', good_seq: Number(maxGood ?? 0) + 1, updated_at: now })
        .where('env', '=', env)
        .where('version', '=', version)
        .execute();
    });
  }

  /**
   * seq and good_seq are max()+1 within a transaction. PostgreSQL runs it at READ COMMITTED, where two
   * writers read the same max (duplicate seq/goodSeq, or a unique-violation instead of created:false), so
   * writers for one environment take a transaction-scoped advisory lock. SQLite admits one writer at a time.
   */
  private async serializeReleaseWriters(trx: Transaction<LedgerTables>, env: string): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`rewind.releases:${env}`}))`.execute(trx);
  }

  async findLastKnownGood(env: string, excluding: string | null): Promise<ReleaseRecord | undefined> {
    // A release that later failed or was rolled back from no longer counts, even if it was good once.
    let query = this.db
      .selectFrom('releases')
      .selectAll()
      .where('env', '=', env)
      .where('good_seq', 'is not', null)
      .where('state', 'in', ['good', 'superseded'])
      // A drill release is a rehearsal: it never becomes the release a rollback returns to.
      .where('drill', '=', 0);
    if (excluding !== null) query = query.where('version', '!=', excluding);
    const row = await query.orderBy('good_seq', 'desc').limit(1).executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  async createOperation(op: OperationRecord): Promise<void> {
    await this.db
      .insertInto('operations')
      .values({
        id: op.id,
        env: op.env,
        kind: op.kind,
        from_version: op.fromVersion,
        to_version: op.toVersion,
        state: op.state,
        plan: JSON.stringify(op.plan),
        actor: op.actor,
        parent_id: op.parentId,
        reason: op.reason,
        error: op.error,
        started_at: op.startedAt,
        finished_at: op.finishedAt,
      })
      .execute();
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const row = await this.db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOperation(row) : undefined;
  }

  async finishOperation(id: string, state: Exclude<OperationState, 'running'>, error: string | null, now: number): Promise<void> {
    await this.db.updateTable('operations').set({ state, error, finished_at: now }).where('id', '=', id).execute();
  }

  async listOperations(env: string, options: { limit?: number } = {}): Promise<OperationRecord[]> {
    const rows = await this.db
      .selectFrom('operations')
      .selectAll()
      .where('env', '=', env)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit ?? 20)
      .execute();
    return rows.map(toOperation);
  }

  async findRunningOperations(env?: string): Promise<OperationRecord[]> {
    let query = this.db.selectFrom('operations').selectAll().where('state', '=', 'running');
    if (env !== undefined) query = query.where('env', '=', env);
    return (await query.orderBy('started_at', 'asc').execute()).map(toOperation);
  }

  async startStep(step: Omit<StepRecord, 'state' | 'attempt' | 'finishedAt'>): Promise<StepRecord> {
    const row = await this.db
      .insertInto('steps')
      .values({
        operation_id: step.operationId,
        idx: step.index,
        step_id: step.stepId,
        kind: step.kind,
        state: 'running',
        attempt: 1,
        detail: JSON.stringify(step.detail ?? {}),
        started_at: step.startedAt,
        finished_at: null,
      })
      .onConflict((oc) =>
        oc.columns(['operation_id', 'idx']).doUpdateSet({
          state: 'running',
          attempt: sql`steps.attempt + 1`,
          started_at: step.startedAt,
          finished_at: null,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStep(row);
  }

  async finishStep(operationId: string, index: number, state: StepState, detail: unknown, now: number): Promise<void> {
    await this.db
      .updateTable('steps')
      .set({ state, detail: JSON.stringify(detail ?? {}), finished_at: now })
      .where('operation_id', '=', operationId)
      .where('idx', '=', index)
      .execute();
  }

  async listSteps(operationId: string): Promise<StepRecord[]> {
    const rows = await this.db.selectFrom('steps').selectAll().where('operation_id', '=', operationId).orderBy('idx').execute();
    return rows.map(toStep);
  }

  async appendEvent(event: NewEvent): Promise<EventRecord> {
    const row = await this.db
      .insertInto('events')
      .values({
        at: event.at,
        env: event.env,
        operation_id: event.operationId,
        event: event.event,
        actor: event.actor,
        from_version: event.fromVersion,
        to_version: event.toVersion,
        data: JSON.stringify(event.data),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEvent(row);
  }

  async listEvents(env: string, options: { limit?: number; operationIds?: string[]; afterId?: number } = {}): Promise<EventRecord[]> {
    let query = this.db.selectFrom('events').selectAll().where('env', '=', env);
    if (options.operationIds) {
      if (options.operationIds.length === 0) return [];
      query = query.where('operation_id', 'in', options.operationIds);
    }
    if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
    // Newest first for the limit, then returned oldest first so a timeline reads forwards.
    const rows = await query.orderBy('id', 'desc').limit(options.limit ?? 200).execute();
    return rows.reverse().map(toEvent);
  }

  async acquireLock(request: LockRequest, canTakeOver: (holder: LockRecord) => boolean): Promise<LockResult> {
    const values = {
      env: request.env,
      token: request.token,
      holder: request.holder,
      host: request.host,
      pid: request.pid,
      operation_id: request.operationId,
      acquired_at: request.now,
      heartbeat_at: request.now,
      expires_at: request.now + request.ttlMs,
    };
    // Two attempts: insert; if someone holds it and may be taken over, compare-and-swap on their token.
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await this.db
        .insertInto('locks')
        .values(values)
        .onConflict((oc) => oc.column('env').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { acquired: true, lock: toLock(values) };
      const holderRow = await this.db.selectFrom('locks').selectAll().where('env', '=', request.env).executeTakeFirst();
      if (!holderRow) continue; // released between our insert and read: try again
      const holder = toLock(holderRow);
      if (!canTakeOver(holder)) return { acquired: false, holder };
      const swapped = await this.db.updateTable('locks').set(values).where('env', '=', request.env).where('token', '=', holder.token).executeTakeFirst();
      if (Number(swapped.numUpdatedRows) === 1) return { acquired: true, lock: toLock(values), tookOverFrom: holder };
    }
    const current = await this.getLock(request.env);
    if (current) return { acquired: false, holder: current };
    return this.acquireLock(request, canTakeOver);
  }

  async heartbeatLock(env: string, token: string, ttlMs: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('locks')
      .set({ heartbeat_at: now, expires_at: now + ttlMs })
      .where('env', '=', env)
      .where('token', '=', token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setLockOperation(env: string, token: string, operationId: string): Promise<void> {
    await this.db.updateTable('locks').set({ operation_id: operationId }).where('env', '=', env).where('token', '=', token).execute();
  }

  async releaseLock(env: string, token: string): Promise<boolean> {
    const result = await this.db.deleteFrom('locks').where('env', '=', env).where('token', '=', token).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async getLock(env: string): Promise<LockRecord | undefined> {
    const row = await this.db.selectFrom('locks').selectAll().where('env', '=', env).executeTakeFirst();
    return row ? toLock(row) : undefined;
  }

  async forceReleaseLock(env: string): Promise<LockRecord | undefined> {
    const existing = await this.getLock(env);
    if (existing) await this.db.deleteFrom('locks').where('env', '=', env).where('token', '=', existing.token).execute();
    return existing;
  }

  async recordBackup(backup: NewBackup): Promise<BackupRecord> {
    const row = await this.db
      .insertInto('backups')
      .values({
        env: backup.env,
        release_version: backup.releaseVersion,
        kind: backup.kind,
        engine: backup.engine,
        format: backup.format,
        path: backup.path,
        size: backup.size,
        sha256: backup.sha256,
        migration_state: JSON.stringify(backup.migrationState ?? null),
        row_counts: JSON.stringify(backup.rowCounts),
        created_at: backup.createdAt,
        deleted_at: null,
        test_restore: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBackup(row);
  }

  async getBackup(id: number): Promise<BackupRecord | undefined> {
    const row = await this.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toBackup(row) : undefined;
  }

  async listBackups(env: string, options: { includeDeleted?: boolean } = {}): Promise<BackupRecord[]> {
    let query = this.db.selectFrom('backups').selectAll().where('env', '=', env);
    if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toBackup);
  }

  async markBackupDeleted(id: number, now: number): Promise<void> {
    await this.db.updateTable('backups').set({ deleted_at: now }).where('id', '=', id).where('deleted_at', 'is', null).execute();
  }

  async latestBackupFor(env: string, releaseVersion: string, kind: BackupKind): Promise<BackupRecord | undefined> {
    const row = await this.db
      .selectFrom('backups')
      .selectAll()
      .where('env', '=', env)
      .where('release_version', '=', releaseVersion)
      .where('kind', '=', kind)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toBackup(row) : undefined;
  }

  recordDrill(drill: NewDrill): Promise<DrillRecord> {
    return drills.recordDrill(this.db, drill);
  }

  finishDrill(id: number, result: DrillResult): Promise<void> {
    return drills.finishDrill(this.db, id, result);
  }

  listDrills(options?: { env?: string; limit?: number }): Promise<DrillRecord[]> {
    return drills.listDrills(this.db, options);
  }

  recordBackupTestRestore(backupId: number, result: BackupTestRestore): Promise<void> {
    return drills.recordBackupTestRestore(this.db, backupId, result);
  }

  readDoraRows(env: string, window: { since: number; until: number }): Promise<DoraRows> {
    return readDoraRows(this.db, env, window, indexHint(this.dialect));
  }

  createIncident(incident: NewIncident): Promise<IncidentRecord> {
    return incidents.createIncident(this.db, incident);
  }

  getIncident(id: number): Promise<IncidentRecord | undefined> {
    return incidents.getIncident(this.db, id);
  }

  findOpenIncident(env: string): Promise<IncidentRecord | undefined> {
    return incidents.findOpenIncident(this.db, env);
  }

  listIncidents(options?: { env?: string; status?: IncidentStatus; limit?: number }): Promise<IncidentRecord[]> {
    return incidents.listIncidents(this.db, options);
  }

  updateIncident(id: number, change: IncidentChange, now: number): Promise<boolean> {
    return incidents.updateIncident(this.db, id, change, now);
  }

  findIncidentByOperation(operationId: string): Promise<IncidentRecord | undefined> {
    return incidents.findIncidentByOperation(this.db, operationId);
  }

  tickChecklistItem(tick: ChecklistTick): Promise<void> {
    return incidents.tickChecklistItem(this.db, tick);
  }

  listChecklistTicks(operationId: string): Promise<ChecklistTick[]> {
    return incidents.listChecklistTicks(this.db, operationId);
  }

  enqueueNotifications(messages: readonly NewNotification[]): Promise<NotificationRecord[]> {
    return outbox.enqueueNotifications(this.db, messages);
  }

  claimNotifications(claim: NotificationClaim): Promise<NotificationRecord[]> {
    return outbox.claimNotifications(this.db, claim);
  }

  finishNotification(id: number, owner: string, outcome: NotificationOutcome): Promise<boolean> {
    return outbox.finishNotification(this.db, id, owner, outcome);
  }

  listNotifications(options?: { env?: string; states?: readonly NotificationState[]; limit?: number }): Promise<NotificationRecord[]> {
    return outbox.listNotifications(this.db, options);
  }

  countNotifications(env?: string): Promise<NotificationCounts> {
    return outbox.countNotifications(this.db, env);
  }

  requeueNotifications(options: { env?: string; ids?: readonly number[]; now: number }): Promise<NotificationRecord[]> {
    return outbox.requeueNotifications(this.db, options);
  }
}

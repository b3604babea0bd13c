import type { LedgerTables } from '../../src/ledger/ledger-tables.js';

/**
 * A deterministic, made-up history of one production environment for `report dora`, as rows of the
 * ledger's tables (shaped like what rewind writes: release, deploy with its step journal, automatic
 * rollbacks naming their deploy, manual rollbacks later, incidents opened or joined by rollbacks).
 * The dora test loads a few hundred releases of it and checks the report against a naive reading
 * through the Ledger API; the bench loads 100,000. A little noise goes to a second environment,
 * which no number may count.
 *
 * Rows are stored at their real size (plans of about 4 KB, releases with their database facts, a real deploy's bookkeeping steps).
 *
 * Per release, in time order: 5 % stop in preflight (never live); 12 % fail their health check after
 * activation and are rolled back automatically (one rollback in ten fails, one in ten has no check;
 * 85 % open or join an incident); 3 % succeed and are rolled back by hand hours later (70 % with an
 * incident, half of those with a person's detection time); 2 % pause at a watch (live, not rolled
 * back); the rest succeed. 2 % of cycles also redeploy an older release. The last deploy is running.
 */

type Row<T extends keyof LedgerTables> = { [K in keyof LedgerTables[T]]: LedgerTables[T][K] extends infer V ? (V extends { __select__: infer S } ? S : V) : never };
export type ReleaseRow = Omit<Row<'releases'>, 'id'>;
export type OperationRow = Row<'operations'>;
export type StepRow = Row<'steps'>;
export type IncidentRow = Omit<Row<'incidents'>, 'id'> & { id: number };
export type IncidentOperationRow = Row<'incident_operations'>;

export interface DoraHistory {
  releases: ReleaseRow[];
  operations: OperationRow[];
  steps: StepRow[];
  incidents: IncidentRow[];
  incidentOperations: IncidentOperationRow[];
}

export interface DoraHistoryOptions {
  releases: number;
  /** Epoch ms: the first and (exclusive) last moment of the history. */
  start: number;
  end: number;
  seed?: number;
  env?: string;
  noiseEnv?: string;
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateDoraHistory(options: DoraHistoryOptions): DoraHistory {
  const env = options.env ?? 'production';
  const noiseEnv = options.noiseEnv ?? 'staging';
  const random = mulberry32(options.seed ?? 17);
  const between = (lo: number, hi: number) => Math.floor(lo + random() * (hi - lo));
  const history: DoraHistory = { releases: [], operations: [], steps: [], incidents: [], incidentOperations: [] };
  const every = (options.end - options.start) / (options.releases + 1);
  let current: string | null = null;
  const goodVersions: string[] = [];
  let openIncident: IncidentRow | null = null;
  let nextIncident = 1;
  let seq = 0;

  const step = (operation: string, idx: number, kind: string, state: string, startedAt: number, ms: number) =>
    history.steps.push({ operation_id: operation, idx, step_id: kind, kind, state, attempt: 1, detail: stepDetail(kind, state, ms), started_at: startedAt, finished_at: startedAt + ms });
  /** The bookkeeping steps a real deploy journals around the ones the report reads (none of them switches or checks). */
  const chores = (operation: string, idx: number, kinds: readonly string[], startedAt: number) => {
    for (const [k, kind] of kinds.entries()) step(operation, idx + k, kind, 'succeeded', startedAt + k * 50, 40);
    return idx + kinds.length;
  };
  const operation = (o: Partial<OperationRow> & Pick<OperationRow, 'id' | 'kind' | 'to_version' | 'state' | 'started_at'>, where = env) =>
    history.operations.push({ env: where, from_version: null, plan: o.kind === 'rollback' ? ROLLBACK_PLAN : DEPLOY_PLAN, actor: 'ci', parent_id: null, reason: null, error: null, finished_at: o.started_at + M, ...o });
  /** A rollback opens an incident, or joins the open one (closing it now and then, as people do). */
  const incidentFor = (rollbackId: string, facts: Record<string, unknown>, startedAt: number, detectedAt: number | null) => {
    if (openIncident && random() < 0.5) {
      openIncident.status = 'closed';
      openIncident.closed_at = startedAt - S;
      openIncident = null;
    }
    if (!openIncident) {
      openIncident = { id: nextIncident++, env, status: 'open', severity: 'High', rollbacks: '[]', fields: '{}', opened_at: startedAt, closed_at: null, closed_by: null, updated_at: startedAt };
      if (detectedAt !== null) openIncident.fields = JSON.stringify({ detectedAt });
      history.incidents.push(openIncident);
    }
    openIncident.rollbacks = JSON.stringify([...(JSON.parse(openIncident.rollbacks) as unknown[]), facts]);
    openIncident.updated_at = startedAt;
    history.incidentOperations.push({ operation_id: rollbackId, incident_id: openIncident.id });
  };
  const rollback = (id: string, parent: string | null, from: string, to: string, startedAt: number, withIncident: boolean, detectedAt: number | null) => {
    const fails = random() < 0.1;
    const unchecked = !fails && random() < 0.1;
    const first = chores(id, 0, ['rollback-start', 'prepare'], startedAt - 2 * S);
    step(id, first, 'activate', 'succeeded', startedAt, 10 * S);
    if (!unchecked) step(id, first + 1, 'health', fails ? 'failed' : 'succeeded', startedAt + 10 * S, between(5, 120) * S);
    if (!fails) chores(id, first + 2, ['rollback-complete'], startedAt + 3 * M - S);
    const finished = startedAt + (unchecked ? 15 * S : 3 * M);
    operation({ id, kind: 'rollback', from_version: from, to_version: to, state: fails ? 'failed' : 'succeeded', parent_id: parent, started_at: startedAt, finished_at: finished, actor: parent ? 'rewind' : 'oncall' });
    if (!fails) current = to;
    const facts = { operationId: id, parentId: parent, trigger: parent ? 'automatic' : 'manual', from, to, succeeded: !fails, issue: 'failed-deploy', severity: 'High', rule: 'r', reason: null };
    if (withIncident) incidentFor(id, facts, startedAt, detectedAt);
  };

  for (let i = 0; i < options.releases; i++) {
    const t = Math.round(options.start + (i + 1) * every + random() * every * 0.3);
    const version = `${Math.floor(i / 10_000)}.${Math.floor(i / 100) % 100}.${i % 100}`;
    const registeredAt = t - between(5, 60) * M;
    history.releases.push({
      env,
      version,
      seq: ++seq,
      artifact: `/builds/${version}.tgz`,
      digest: `sha256:${i.toString(16).padStart(64, '0')}`,
      commit_sha: i.toString(16).padStart(40, 'a'),
      committed_at: random() < 0.8 ? registeredAt - between(10, 3 * 24 * 60) * M : null,
      ci: 'passed',
      state: 'registered',
      good_seq: null,
      database_facts: DATABASE_FACTS,
      drill: 0,
      created_at: registeredAt,
      updated_at: registeredAt,
    });
    const id = `d-${i}`;
    const from = current;
    const roll = random();
    const first = chores(id, 0, ['record-running'], t - S);
    step(id, first, 'disk-space', roll < 0.05 ? 'failed' : 'succeeded', t, 2 * S);
    const next = roll < 0.05 ? first + 1 : chores(id, first + 1, ['baseline-health', 'prepare'], t + 3 * S);
    if (roll < 0.05) {
      operation({ id, kind: 'deploy', from_version: from, to_version: version, state: 'failed', started_at: t, finished_at: t + 3 * S, error: 'disk-space: full' });
    } else if (roll < 0.17 && from !== null) {
      step(id, next, 'activate', 'succeeded', t + 30 * S, 10 * S);
      step(id, next + 1, 'health', 'failed', t + 40 * S, 80 * S);
      operation({ id, kind: 'deploy', from_version: from, to_version: version, state: 'failed', started_at: t, finished_at: t + 2 * M, error: 'health: 500' });
      rollback(`r-${i}`, id, version, from, t + 2 * M + 5 * S, random() < 0.85, null);
    } else if (roll < 0.19 && from !== null) {
      step(id, next, 'activate', 'succeeded', t + 30 * S, 10 * S);
      step(id, next + 1, 'watch', 'inconclusive', t + 40 * S, 5 * M);
      operation({ id, kind: 'deploy', from_version: from, to_version: version, state: 'failed', started_at: t, finished_at: t + 6 * M, error: 'watch: no data' });
      current = version;
    } else {
      step(id, next, 'activate', 'succeeded', t + 30 * S, 10 * S);
      step(id, next + 1, 'health', 'succeeded', t + 40 * S, between(5, 60) * S);
      chores(id, next + 2, ['mark-good', 'prune'], t + 2 * M - S);
      operation({ id, kind: 'deploy', from_version: from, to_version: version, state: 'succeeded', started_at: t, finished_at: t + 2 * M });
      current = version;
      goodVersions.push(version);
      const at = t + between(1, 5) * H;
      if (roll > 0.97 && from !== null && at < options.end) {
        const person = random() < 0.5 ? at - between(1, 30) * M : null;
        rollback(`m-${i}`, null, version, from, at, random() < 0.7, person);
      }
    }
    if (random() < 0.1) operation({ id: `s-${i}`, kind: 'deploy', to_version: version, state: 'succeeded', started_at: t - H }, noiseEnv);
    if (random() < 0.02 && goodVersions.length > 3 && t + 6 * H < options.end) {
      const again = goodVersions[between(0, goodVersions.length - 2)]!;
      const at = t + 6 * H;
      step(`x-${i}`, 0, 'activate', 'succeeded', at, 10 * S);
      operation({ id: `x-${i}`, kind: 'deploy', from_version: current, to_version: again, state: 'succeeded', started_at: at, finished_at: at + M });
      current = again;
    }
  }
  // One deploy still in flight at the end.
  const last = history.releases.at(-1);
  if (last) operation({ id: 'running', kind: 'deploy', from_version: current, to_version: last.version, state: 'running', started_at: options.end - M, finished_at: null });
  return history;
}

/**
 * What rewind stores per operation and step, at its real size: a plan is its whole JSON (about 4 KB
 * for a PM2 deploy, see any ledger's operations.plan), a step's detail a message and its facts
 * (100 to 350 bytes). One string per kind, shared by every row: the rows are big on disk, not in memory.
 */
const planOf = (kind: string, steps: readonly string[]) =>
  JSON.stringify({
    version: 1,
    kind,
    notes: ['the release that runs now is recorded first, so that a failure can put it back'],
    steps: steps.map((id) => ({
      id,
      kind: id,
      phase: 'apply',
      title: `${id}: what the step does, as the operator reads it in --dry-run`,
      commands: [],
      effects: [`${id} on /srv/app/releases/<version> (stored artifact sha256:${'0'.repeat(64)}), checked against its recorded tree digest before anything switches`],
      params: { artifact: '/srv/app/artifacts/app-<version>.tgz', stored: `/var/lib/rewind/artifacts/sha256/${'0'.repeat(64)}` },
    })),
  });
const DEPLOY_PLAN = planOf('deploy', ['record-running', 'disk-space', 'baseline-health', 'prepare', 'activate', 'health', 'mark-good', 'prune']);
const ROLLBACK_PLAN = planOf('rollback', ['rollback-start', 'prepare', 'activate', 'health', 'rollback-complete']);
/** A release's database facts with the live schema rewind records for drift detection (about 3 KB for a small app). */
const DATABASE_FACTS = JSON.stringify({
  migrations: [{ id: '20260101000000_users', name: 'users', hasDown: true }],
  verdict: 'additive',
  reasons: [],
  preUpgradeBackupId: 1,
  schema: {
    tables: Array.from({ length: 12 }, (_, t) => ({
      name: `table_${t}`,
      columns: Array.from({ length: 6 }, (_, c) => ({ name: `column_${c}`, type: c === 0 ? 'bigint' : 'text', nullable: c > 1, default: null })),
    })),
  },
});
const details = new Map<string, string>();
function stepDetail(kind: string, state: string, ms: number): string {
  const key = `${kind} ${state} ${ms}`;
  let detail = details.get(key);
  if (detail === undefined) {
    detail = JSON.stringify({ message: `${kind} ${state}: GET http://127.0.0.1:3000/health → status 200 after 1 attempt(s), checked against /srv/app/releases/current`, durationMs: ms, attempts: 1, path: '/srv/app/releases/current' });
    details.set(key, detail);
  }
  return detail;
}

const INSERT_ORDER = ['releases', 'operations', 'steps', 'incidents', 'incident_operations'] as const;

/** The rows per table, in an order inserts can follow. */
export function historyTables(history: DoraHistory): [(typeof INSERT_ORDER)[number], Record<string, unknown>[]][] {
  return [
    ['releases', history.releases],
    ['operations', history.operations],
    ['steps', history.steps],
    ['incidents', history.incidents],
    ['incident_operations', history.incidentOperations],
  ];
}

/** Inserts the history into a SQLite ledger file whose schema openLedger already made (one transaction, prepared statements). */
export async function loadHistorySqlite(file: string, history: DoraHistory): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    db.transaction(() => {
      for (const [table, rows] of historyTables(history)) {
        if (rows.length === 0) continue;
        const columns = Object.keys(rows[0]!);
        const insert = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
        for (const row of rows) insert.run(row);
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** The same into a PostgreSQL ledger (schema made by openLedger), a few thousand rows per INSERT. */
export async function loadHistoryPostgres(url: string, history: DoraHistory): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const [table, rows] of historyTables(history)) {
      if (rows.length === 0) continue;
      const columns = Object.keys(rows[0]!);
      const batch = Math.floor(30_000 / columns.length);
      for (let start = 0; start < rows.length; start += batch) {
        const slice = rows.slice(start, start + batch);
        const values: unknown[] = [];
        const tuples = slice.map((row) => `(${columns.map((c) => (values.push(row[c] ?? null), `$${values.length}`)).join(', ')})`);
        await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
      }
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DoraIncidentRow, DoraJournal, DoraOperationRow, DoraRows, DoraSucceededDeploys } from '../ports/ledger-dora.js';
import type { LedgerTables } from './ledger-tables.js';

/**
 * The ledger half of `rewind report dora` (ports/ledger-dora.ts): three range scans over indexes
 * (operations by environment and start, their steps aggregated per operation, incidents by opening
 * time), plus point reads for the few operations an in-window row names from outside the window.
 * No query per row: at 100k deploys this stays a few hundred milliseconds (docs/benchmarks.md).
 * Plain SQL that SQLite and PostgreSQL read alike.
 */

/**
 * Drills (`rewind drill`, docs/drills.md) mark their releases (`releases.drill`): a deploy of a drill
 * release, and the rollback that leaves one, are rehearsals. The report leaves them out and counts them.
 * r: the deploy's release, or the release a rollback left.
 */
const DRILL_RELEASE: RawBuilder<number> = sql<number>`COALESCE(r.drill, 0)`;

/** Steps that switch what serves; one succeeded means the release went live (as incident-view reads it). */
const SWITCH_KINDS = sql`('activate', 'shift-traffic')`;
/** Checks after a switch; all passed means service restored (incident-view's rule). */
const CHECK_KINDS = sql`('health', 'smoke', 'watch', 'db-verify')`;
const ID_BATCH = 500;

/**
 * Names the covering index a join must use (migration 0011) on SQLite: its planner, without
 * statistics (rewind runs no ANALYZE), prefers the unique (env, version) index for the release join
 * and reads every release's row, overflow pages past its database facts included, and can pick an
 * index that leaves a correlated EXISTS scanning the window once per row. PostgreSQL plans from
 * the statistics autovacuum keeps, and gets no hint.
 */
export type IndexHint = (index: string) => RawBuilder<unknown>;
export const indexHint = (dialect: 'sqlite' | 'postgres'): IndexHint => (dialect === 'sqlite' ? (index) => sql.raw(`INDEXED BY ${index}`) : () => sql``);
const DAY_MS = sql.lit(86_400_000);

type Num = number | string | null;
interface OperationSqlRow {
  id: string;
  kind: string;
  state: string;
  to_version: string;
  from_version: string | null;
  parent_id: string | null;
  started_at: Num;
  finished_at: Num;
  committed_at: Num;
  registered_at: Num;
  deployed_before: Num;
  incident_id: Num;
  drill: Num;
}
interface JournalSqlRow {
  operation_id: string;
  activated: Num;
  first_failed_at: Num;
  checks: Num;
  checks_passed: Num;
  last_check_at: Num;
}

const num = (v: Num): number | null => (v === null || v === undefined ? null : Number(v));

function operationsQuery(where: RawBuilder<unknown>, since: number, via: IndexHint): RawBuilder<OperationSqlRow> {
  return sql<OperationSqlRow>`
    SELECT o.id, o.kind, o.state, o.to_version, o.from_version, o.parent_id, o.started_at, o.finished_at,
      r.committed_at, r.created_at AS registered_at, io.incident_id,
      CASE WHEN o.kind = 'deploy' AND o.state = 'succeeded' AND r.created_at < ${since}
        AND EXISTS (SELECT 1 FROM operations p ${via('operations_env_version')} WHERE p.env = o.env AND p.to_version = o.to_version
          AND p.kind = 'deploy' AND p.state = 'succeeded' AND p.started_at < ${since})
        THEN 1 ELSE 0 END AS deployed_before,
      ${DRILL_RELEASE} AS drill
    FROM operations o
    LEFT JOIN incident_operations io ON io.operation_id = o.id
    LEFT JOIN releases r ${via('releases_env_version_times')} ON r.env = o.env AND r.version = (CASE WHEN o.kind = 'deploy' THEN o.to_version ELSE o.from_version END)
    WHERE o.kind IN ('deploy', 'rollback') AND ${where}`;
}

/** Journals of rollbacks and of deploys that did not succeed (a succeeded deploy went live: its journal is not needed). */
function journalsQuery(where: RawBuilder<unknown>, via: IndexHint): RawBuilder<JournalSqlRow> {
  return sql<JournalSqlRow>`
    SELECT s.operation_id,
      MAX(CASE WHEN s.kind IN ${SWITCH_KINDS} AND s.state = 'succeeded' THEN 1 ELSE 0 END) AS activated,
      MIN(CASE WHEN s.state IN ('failed', 'error') THEN COALESCE(s.finished_at, s.started_at) END) AS first_failed_at,
      SUM(CASE WHEN s.kind IN ${CHECK_KINDS} THEN 1 ELSE 0 END) AS checks,
      SUM(CASE WHEN s.kind IN ${CHECK_KINDS} AND s.state = 'succeeded' THEN 1 ELSE 0 END) AS checks_passed,
      MAX(CASE WHEN s.kind IN ${CHECK_KINDS} THEN COALESCE(s.finished_at, s.started_at) END) AS last_check_at
    FROM operations o JOIN steps s ${via('steps_operation_kind')} ON s.operation_id = o.id
    WHERE (o.kind = 'rollback' OR (o.kind = 'deploy' AND o.state <> 'succeeded')) AND ${where}
    GROUP BY s.operation_id`;
}

/**
 * The window's succeeded deploys, one row each, for the counting below: the success time, drill,
 * whether it is a redeploy (its version succeeded before: before the window, as deployed_before
 * above, or earlier in it, ties broken by id as the report's sort does), and its lead time (null: no
 * release row). Joined to nothing the counting does not read.
 */
function succeededQuery(env: string, since: number, until: number, via: IndexHint): RawBuilder<unknown> {
  return sql`
    SELECT COALESCE(o.finished_at, o.started_at) AS end_at, ${DRILL_RELEASE} AS drill,
      COALESCE(o.finished_at, o.started_at) - COALESCE(r.committed_at, r.created_at) AS lead_ms,
      CASE WHEN r.committed_at IS NULL THEN 0 ELSE 1 END AS from_commit,
      CASE WHEN (r.created_at < ${since}
          AND EXISTS (SELECT 1 FROM operations p ${via('operations_env_version')} WHERE p.env = o.env AND p.to_version = o.to_version
            AND p.kind = 'deploy' AND p.state = 'succeeded' AND p.started_at < ${since}))
        OR EXISTS (SELECT 1 FROM operations p ${via('operations_env_version')} WHERE p.env = o.env AND p.to_version = o.to_version
          AND p.kind = 'deploy' AND p.state = 'succeeded' AND p.started_at >= ${since}
          AND (p.started_at < o.started_at OR (p.started_at = o.started_at AND p.id < o.id)))
        THEN 1 ELSE 0 END AS redeploy
    FROM operations o
    LEFT JOIN releases r ${via('releases_env_version_times')} ON r.env = o.env AND r.version = o.to_version
    WHERE o.env = ${env} AND o.kind = 'deploy' AND o.state = 'succeeded' AND o.started_at >= ${since} AND o.started_at < ${until}`;
}

interface CountedSqlRow {
  /** 0: a group of deploys with the same day slots; 1: a lead-time sample near a percentile's rank. */
  part: Num;
  abs_day: Num;
  from_until: Num;
  from_since: Num;
  drill: Num;
  n: Num;
  redeploys: Num;
  no_release: Num;
  commit_after: Num;
  samples: Num;
  from_commit: Num;
  rn: Num;
  lead_ms: Num;
}

/**
 * Counts the succeeded deploys in SQL (ports/ledger-dora.ts DoraSucceededDeploys) in one query,
 * their rows computed once (a MATERIALIZED common table expression, SQLite >= 3.35 and PostgreSQL
 * >= 12): the groups of deploys with the same day slots (a few rows per day of the window), and
 * the lead-time samples around the ranks the median and p90 read (ROW_NUMBER over the sorted
 * samples), instead of a JS row per deploy. Integer division on both dialects: the times are
 * integer columns, the window's bounds are cast to BIGINT.
 */
async function countSucceeded(db: Kysely<LedgerTables>, env: string, since: number, until: number, via: IndexHint): Promise<DoraSucceededDeploys> {
  const lo = sql`CAST(${since} AS BIGINT)`;
  const hi = sql`CAST(${until} AS BIGINT)`;
  // The ranks are ⌊(n − 1)·p⌋ and the next; a slot either side absorbs any rounding of the
  // floating-point product, and the exact ones are picked below as util/percentile.ts computes them.
  const near = (tenths: number) => sql`ranked.rn BETWEEN (ranked.total - 1) * ${sql.lit(tenths)} / 10 - 1 AND (ranked.total - 1) * ${sql.lit(tenths)} / 10 + 2`;
  const result = await sql<CountedSqlRow>`
    WITH ok AS MATERIALIZED (${succeededQuery(env, since, until, via)})
    SELECT 0 AS part, abs_day, from_until, from_since, drill, COUNT(*) AS n,
      SUM(redeploy) AS redeploys,
      SUM(CASE WHEN redeploy = 0 AND lead_ms IS NULL THEN 1 ELSE 0 END) AS no_release,
      SUM(CASE WHEN redeploy = 0 AND lead_ms < 0 THEN 1 ELSE 0 END) AS commit_after,
      SUM(CASE WHEN redeploy = 0 AND lead_ms >= 0 THEN 1 ELSE 0 END) AS samples,
      SUM(CASE WHEN redeploy = 0 AND lead_ms >= 0 THEN from_commit ELSE 0 END) AS from_commit,
      NULL AS rn, NULL AS lead_ms
    FROM (SELECT ok.drill, ok.redeploy, ok.lead_ms, ok.from_commit, ok.end_at / ${DAY_MS} AS abs_day,
        CASE WHEN ok.end_at < ${hi} THEN -((${hi} - 1 - ok.end_at) / ${DAY_MS}) - 1 END AS from_until,
        CASE WHEN ok.end_at >= ${lo} THEN (ok.end_at - ${lo}) / ${DAY_MS} END AS from_since
      FROM ok) g
    GROUP BY abs_day, from_until, from_since, drill
    UNION ALL
    SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ranked.rn, ranked.lead_ms
    FROM (SELECT ok.lead_ms, ROW_NUMBER() OVER (ORDER BY ok.lead_ms) - 1 AS rn, COUNT(*) OVER () AS total
      FROM ok WHERE ok.drill = 0 AND ok.redeploy = 0 AND ok.lead_ms >= 0) ranked
    WHERE ${near(5)} OR ${near(9)}`.execute(db);
  const counted: DoraSucceededDeploys = {
    deploys: 0,
    drill: 0,
    times: [],
    lead: { samples: 0, median: null, p90: null, fromCommitTime: 0, fromRegisterTime: 0, redeploys: 0, commitAfterDeploy: 0, noRelease: 0 },
  };
  const lead = counted.lead;
  const sorted = new Map<number, number>();
  for (const g of result.rows) {
    if (Number(g.part) === 1) {
      sorted.set(Number(g.rn), Number(g.lead_ms));
      continue;
    }
    const n = Number(g.n);
    if (Number(g.drill) === 1) {
      counted.drill += n;
      continue;
    }
    counted.deploys += n;
    counted.times.push({ absDay: Number(g.abs_day), fromUntil: num(g.from_until), fromSince: num(g.from_since), count: n });
    lead.redeploys += Number(g.redeploys);
    lead.noRelease += Number(g.no_release);
    lead.commitAfterDeploy += Number(g.commit_after);
    lead.samples += Number(g.samples);
    lead.fromCommitTime += Number(g.from_commit);
  }
  lead.fromRegisterTime = lead.samples - lead.fromCommitTime;
  // util/percentile.ts's rule (type 7): x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]), h = (n − 1)·p.
  const at = (p: number): number | null => {
    if (lead.samples === 0) return null;
    const h = (lead.samples - 1) * p;
    const floor = Math.floor(h);
    const below = sorted.get(floor);
    const above = sorted.get(Math.min(floor + 1, lead.samples - 1));
    if (below === undefined || above === undefined) throw new Error(`report dora: the lead-time sample at rank ${floor} of ${lead.samples} was not read`);
    return below + (h - floor) * (above - below);
  };
  lead.median = at(0.5);
  lead.p90 = at(0.9);
  return counted;
}

const NO_STEPS: DoraJournal = { activated: false, firstFailedAt: null, checks: 0, checksPassed: 0, lastCheckAt: null };

export async function readDoraRows(db: Kysely<LedgerTables>, env: string, window: { since: number; until: number }, via: IndexHint): Promise<DoraRows> {
  const { since, until } = window;
  const inWindow = sql`o.env = ${env} AND o.started_at >= ${since} AND o.started_at < ${until}`;
  // Succeeded deploys are counted by countSucceeded; rows come for the rest, and for a succeeded one
  // only when something names it (fetched by id or version below, like rows from outside the window).
  const notSucceeded = sql`${inWindow} AND NOT (o.kind = 'deploy' AND o.state = 'succeeded')`;
  const [operationRows, journalRows, incidentRows, succeeded, succeededParents] = await Promise.all([
    operationsQuery(notSucceeded, since, via).execute(db),
    journalsQuery(inWindow, via).execute(db),
    // fields is read only when it holds a person's detection time (most incidents have none).
    sql<{ id: Num; opened_at: Num; fields: string | null; operation_id: string | null }>`
      SELECT i.id, i.opened_at, CASE WHEN i.fields LIKE '%detectedAt%' THEN i.fields END AS fields, io.operation_id
      FROM incidents i LEFT JOIN incident_operations io ON io.incident_id = i.id
      WHERE i.env = ${env} AND i.opened_at >= ${since} AND i.opened_at < ${until}
      ORDER BY i.id`.execute(db),
    countSucceeded(db, env, since, until, via),
    // A succeeded deploy's own parent is looked up like any in-window row's (rarely set on a deploy).
    sql<{ parent_id: string }>`SELECT o.parent_id FROM operations o
      WHERE ${inWindow} AND o.kind = 'deploy' AND o.state = 'succeeded' AND o.parent_id IS NOT NULL`.execute(db),
  ]);
  const journals = new Map<string, DoraJournal>();
  const addJournals = (rows: JournalSqlRow[]) => {
    for (const j of rows) {
      journals.set(j.operation_id, {
        activated: Number(j.activated) === 1,
        firstFailedAt: num(j.first_failed_at),
        checks: Number(j.checks ?? 0),
        checksPassed: Number(j.checks_passed ?? 0),
        lastCheckAt: num(j.last_check_at),
      });
    }
  };
  addJournals(journalRows.rows);

  const incidents = new Map<number, DoraIncidentRow>();
  for (const row of incidentRows.rows) {
    const id = Number(row.id);
    let incident = incidents.get(id);
    if (!incident) {
      const detectedAt = row.fields ? (JSON.parse(row.fields) as { detectedAt?: unknown }).detectedAt : undefined;
      incident = { id, openedAt: Number(row.opened_at), detectedAt: typeof detectedAt === 'number' ? detectedAt : null, operationIds: [] };
      incidents.set(id, incident);
    }
    if (row.operation_id !== null) incident.operationIds.push(row.operation_id);
  }

  // Operations an in-window row names from outside the window: the deploy a rollback just after
  // `since` undid, an incident's rollback (incidents open with their first rollback, so rarely).
  const seen = new Set(operationRows.rows.map((o) => o.id));
  const wanted = new Set<string>();
  for (const o of operationRows.rows) if (o.parent_id !== null && !seen.has(o.parent_id)) wanted.add(o.parent_id);
  for (const row of succeededParents.rows) if (!seen.has(row.parent_id)) wanted.add(row.parent_id);
  for (const incident of incidents.values()) for (const id of incident.operationIds) if (!seen.has(id)) wanted.add(id);
  const extra: OperationSqlRow[] = [];
  const add = (rows: OperationSqlRow[]) => {
    for (const o of rows) if (!seen.has(o.id)) (seen.add(o.id), extra.push(o));
  };
  // Succeeded deploys need no journal (journalsQuery skips them): `succeededOnly` saves the query.
  const fetch = async (ids: string[], column: RawBuilder<unknown>, scope: RawBuilder<unknown>, succeededOnly: boolean) => {
    for (let start = 0; start < ids.length; start += ID_BATCH) {
      const where = sql`${scope} AND ${column} IN (${sql.join(ids.slice(start, start + ID_BATCH))})`;
      const [more, moreJournals] = await Promise.all([operationsQuery(where, since, via).execute(db), succeededOnly ? { rows: [] } : journalsQuery(where, via).execute(db)]);
      add(more.rows);
      addJournals(moreJournals.rows);
    }
  };
  await fetch([...wanted], sql`o.id`, sql`o.env = ${env}`, false);
  // Then the succeeded in-window deploys the rows fetched so far name: the parents of rollbacks
  // fetched from outside the window, and the deploys of the versions manual rollbacks left (the
  // candidates for the deploy a manual rollback undid).
  const succeededInWindow = sql`${inWindow} AND o.kind = 'deploy' AND o.state = 'succeeded'`;
  const parents = new Set<string>();
  const versions = new Set<string>();
  for (const o of extra) {
    if (o.parent_id !== null && !seen.has(o.parent_id)) parents.add(o.parent_id);
    if (o.kind === 'rollback' && o.parent_id === null && o.from_version !== null) versions.add(o.from_version);
  }
  // The in-window manual rollbacks' versions in one semi-join (thousands at 100k releases).
  const manualInWindow = sql`SELECT m.from_version FROM operations m WHERE m.env = ${env} AND m.started_at >= ${since}
    AND m.started_at < ${until} AND m.kind = 'rollback' AND m.parent_id IS NULL AND m.from_version IS NOT NULL`;
  add((await operationsQuery(sql`${succeededInWindow} AND o.to_version IN (${manualInWindow})`, since, via).execute(db)).rows);
  await fetch([...parents].filter((id) => !seen.has(id)), sql`o.id`, succeededInWindow, true);
  await fetch([...versions], sql`o.to_version`, succeededInWindow, true);

  const operations = [...extra, ...operationRows.rows].map((o): DoraOperationRow => {
    const kind = o.kind as 'deploy' | 'rollback';
    const succeededDeploy = kind === 'deploy' && o.state === 'succeeded';
    return {
      id: o.id,
      kind,
      state: o.state,
      toVersion: o.to_version,
      fromVersion: o.from_version,
      parentId: o.parent_id,
      startedAt: Number(o.started_at),
      finishedAt: num(o.finished_at),
      committedAt: kind === 'deploy' ? num(o.committed_at) : null,
      registeredAt: kind === 'deploy' ? num(o.registered_at) : null,
      deployedBefore: Number(o.deployed_before) === 1,
      incidentId: num(o.incident_id),
      drill: Number(o.drill) === 1,
      journal: succeededDeploy ? null : (journals.get(o.id) ?? NO_STEPS),
    };
  });
  // Sorted here, not in SQL: the rows come from several queries, and JS compares ids one way on both dialects.
  operations.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { operations, incidents: [...incidents.values()], succeeded };
}

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DoraIncidentRow, DoraJournal, DoraOperationRow, DoraRows } from '../ports/ledger-dora.js';
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

function operationsQuery(where: RawBuilder<unknown>, since: number): RawBuilder<OperationSqlRow> {
  return sql<OperationSqlRow>`
    SELECT o.id, o.kind, o.state, o.to_version, o.from_version, o.parent_id, o.started_at, o.finished_at,
      r.committed_at, r.created_at AS registered_at, io.incident_id,
      CASE WHEN o.kind = 'deploy' AND o.state = 'succeeded' AND r.created_at < ${since}
        AND EXISTS (SELECT 1 FROM operations p WHERE p.env = o.env AND p.to_version = o.to_version
          AND p.kind = 'deploy' AND p.state = 'succeeded' AND p.started_at < ${since})
        THEN 1 ELSE 0 END AS deployed_before,
      ${DRILL_RELEASE} AS drill
    FROM operations o
    LEFT JOIN incident_operations io ON io.operation_id = o.id
    LEFT JOIN releases r ON r.env = o.env AND r.version = (CASE WHEN o.kind = 'deploy' THEN o.to_version ELSE o.from_version END)
    WHERE o.kind IN ('deploy', 'rollback') AND ${where}
    ORDER BY o.started_at, o.id`;
}

/** Journals of rollbacks and of deploys that did not succeed (a succeeded deploy went live: its journal is not needed). */
function journalsQuery(where: RawBuilder<unknown>): RawBuilder<JournalSqlRow> {
  return sql<JournalSqlRow>`
    SELECT s.operation_id,
      MAX(CASE WHEN s.kind IN ${SWITCH_KINDS} AND s.state = 'succeeded' THEN 1 ELSE 0 END) AS activated,
      MIN(CASE WHEN s.state IN ('failed', 'error') THEN COALESCE(s.finished_at, s.started_at) END) AS first_failed_at,
      SUM(CASE WHEN s.kind IN ${CHECK_KINDS} THEN 1 ELSE 0 END) AS checks,
      SUM(CASE WHEN s.kind IN ${CHECK_KINDS} AND s.state = 'succeeded' THEN 1 ELSE 0 END) AS checks_passed,
      MAX(CASE WHEN s.kind IN ${CHECK_KINDS} THEN COALESCE(s.finished_at, s.started_at) END) AS last_check_at
    FROM operations o JOIN steps s ON s.operation_id = o.id
    WHERE (o.kind = 'rollback' OR (o.kind = 'deploy' AND o.state <> 'succeeded')) AND ${where}
    GROUP BY s.operation_id`;
}

const NO_STEPS: DoraJournal = { activated: false, firstFailedAt: null, checks: 0, checksPassed: 0, lastCheckAt: null };

export async function readDoraRows(db: Kysely<LedgerTables>, env: string, window: { since: number; until: number }): Promise<DoraRows> {
  const { since, until } = window;
  const inWindow = sql`o.env = ${env} AND o.started_at >= ${since} AND o.started_at < ${until}`;
  const [operationRows, journalRows, incidentRows] = await Promise.all([
    operationsQuery(inWindow, since).execute(db),
    journalsQuery(inWindow).execute(db),
    // fields is read only when it holds a person's detection time (most incidents have none).
    sql<{ id: Num; opened_at: Num; fields: string | null; operation_id: string | null }>`
      SELECT i.id, i.opened_at, CASE WHEN i.fields LIKE '%detectedAt%' THEN i.fields END AS fields, io.operation_id
      FROM incidents i LEFT JOIN incident_operations io ON io.incident_id = i.id
      WHERE i.env = ${env} AND i.opened_at >= ${since} AND i.opened_at < ${until}
      ORDER BY i.id`.execute(db),
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
  for (const incident of incidents.values()) for (const id of incident.operationIds) if (!seen.has(id)) wanted.add(id);
  const extra: OperationSqlRow[] = [];
  const ids = [...wanted];
  for (let start = 0; start < ids.length; start += ID_BATCH) {
    const byId = sql`o.env = ${env} AND o.id IN (${sql.join(ids.slice(start, start + ID_BATCH))})`;
    const [more, moreJournals] = await Promise.all([operationsQuery(byId, since).execute(db), journalsQuery(byId).execute(db)]);
    extra.push(...more.rows);
    addJournals(moreJournals.rows);
  }

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
  operations.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { operations, incidents: [...incidents.values()] };
}

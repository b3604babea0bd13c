/**
 * What `rewind report dora` reads from the ledger: facts, not metrics. The ledger answers with rows
 * (operations with the few journal aggregates the metrics need, incidents with their rollbacks);
 * src/core/report/dora-metrics.ts turns them into the four keys. Keeping the arithmetic out of SQL
 * keeps it one pure, unit-tested function for both dialects.
 */

/** The journal of one operation, reduced to what the metrics ask of it. */
export interface DoraJournal {
  /** A step that switches what serves (activate, shift-traffic) succeeded: the release went live. */
  activated: boolean;
  /** The first failed (or errored) step's end: when a deploy's failure was detected. null: none failed. */
  firstFailedAt: number | null;
  /** Post-switch checks (health, smoke, watch, db-verify) journaled, and how many of them succeeded. */
  checks: number;
  checksPassed: number;
  /** The last of those checks' end (or start, if unfinished). null: no check. */
  lastCheckAt: number | null;
}

export interface DoraOperationRow {
  id: string;
  kind: 'deploy' | 'rollback';
  /** running, succeeded, failed, abandoned. */
  state: string;
  toVersion: string;
  fromVersion: string | null;
  /** A rollback started by a failed deploy names that deploy. */
  parentId: string | null;
  startedAt: number;
  finishedAt: number | null;
  /** Deploys: the release's commit time and registration time (null: no such release row). Rollbacks: null. */
  committedAt: number | null;
  registeredAt: number | null;
  /**
   * Succeeded deploys only: a succeeded deploy of the same version started before the window (a
   * redeploy, not the change's first arrival in production). false for everything else.
   */
  deployedBefore: boolean;
  /** The incident this operation (a rollback) opened or joined; null: none recorded. */
  incidentId: number | null;
  /** Part of a drill (docs/drills.md): never counted. false until the ledger can mark drills. */
  drill: boolean;
  /** null for succeeded deploys (their journal is not read: they went live by definition). */
  journal: DoraJournal | null;
}

export interface DoraIncidentRow {
  id: number;
  openedAt: number;
  /** When a person said they noticed it (incident fields); dates rollbacks no failing check dated. */
  detectedAt: number | null;
  /** Its operations (rollbacks), as linked when they opened or joined it. */
  operationIds: string[];
}

export interface DoraRows {
  /** Deploys and rollbacks of the environment started in [since, until), oldest first, plus any operation an in-window row names (a parent deploy, an incident's rollback) from outside it. */
  operations: DoraOperationRow[];
  /** Incidents of the environment opened in [since, until). */
  incidents: DoraIncidentRow[];
}

export interface DoraLedger {
  /** Everything `report dora` needs for one environment and window, in a handful of range scans (no per-row query). */
  readDoraRows(env: string, window: { since: number; until: number }): Promise<DoraRows>;
}

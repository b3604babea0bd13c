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

/**
 * The window's successful deploys, counted by the ledger instead of sent row by row: at 100k
 * releases they are most of the rows, and each needs only a time and a lead time. With this given,
 * `operations` holds a succeeded in-window deploy only when something names it (a rollback's parent,
 * an incident's operation, a manual rollback's from-version), and the metrics count none of those
 * rows again: their frequency, lead time and share of the change-failure denominator come from here.
 */
export interface DoraSucceededDeploys {
  /** Succeeded deploys started in the window, drills left out; and the drills. */
  deploys: number;
  drill: number;
  /**
   * Their success times (finishedAt, else startedAt), as groups of deploys that fall in the same
   * UTC day (absDay = ⌊t / day⌋), the same 24-hour slot back from the window's end (fromUntil =
   * ⌊(t − until) / day⌋, null when t ≥ until: late) and the same slot from its start (fromSince =
   * ⌊(t − since) / day⌋, null when t < since). That is all the frequency medians read of a time.
   */
  times: { absDay: number; fromUntil: number | null; fromSince: number | null; count: number }[];
  /** Lead time over them, by the rules of DoraOperationRow (first successful deploy of a version, from its commit or register time). */
  lead: {
    samples: number;
    /** Interpolated median and p90 (util/percentile.ts), unrounded; null without samples. */
    median: number | null;
    p90: number | null;
    fromCommitTime: number;
    fromRegisterTime: number;
    redeploys: number;
    commitAfterDeploy: number;
    noRelease: number;
  };
}

export interface DoraRows {
  /**
   * Deploys and rollbacks of the environment started in [since, until), oldest first, plus any
   * operation an in-window row names (a parent deploy, an incident's rollback) from outside it. With
   * `succeeded`, the in-window succeeded deploys are left out unless something names them.
   */
  operations: DoraOperationRow[];
  /** The window's succeeded deploys, already counted (the ledger's fast path); absent: they are all in `operations`. */
  succeeded?: DoraSucceededDeploys;
  /** Incidents of the environment opened in [since, until). */
  incidents: DoraIncidentRow[];
}

export interface DoraLedger {
  /** Everything `report dora` needs for one environment and window, in a handful of range scans (no per-row query). */
  readDoraRows(env: string, window: { since: number; until: number }): Promise<DoraRows>;
}

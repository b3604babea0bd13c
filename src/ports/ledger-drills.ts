/**
 * The drill part of the ledger (docs/drills.md). A drill is a rehearsal of a rollback on a
 * non-production environment: rewind deploys a release it derived from the current one with a
 * failure injected, and its own deploy detects and recovers. Its release is marked `drill` (the
 * `releases.drill` column): never a last known good, not a rollback target, not counted in deploy
 * statistics. A database drill restores the newest backup into a scratch database and records the
 * result on the backup (`testRestore`): a backup never test-restored is not trusted.
 */

/** failure: deploy a broken release and recover; database: test-restore the newest backup. */
export type DrillKind = 'failure' | 'database';
/** Which check the drill release fails. */
export type DrillFailure = 'health' | 'smoke' | 'migration';
export type DrillState = 'running' | 'passed' | 'failed';

export interface NewDrill {
  env: string;
  kind: DrillKind;
  failure: DrillFailure | null;
  actor: string;
  /** Set when the drill ran on a production environment with --force: the reason given (audited). */
  forcedReason: string | null;
  /** The release running when the drill started (what must serve again afterwards). */
  fromVersion: string | null;
  /** The drill release deployed (failure drills). */
  drillVersion: string | null;
  /** The backup test-restored (database drills). */
  backupId: number | null;
  startedAt: number;
  /** The process running the drill: a `running` drill whose process is gone was interrupted. null in rows older than 0012. */
  owner: { host: string; pid: number } | null;
}

export interface DrillResult {
  state: Exclude<DrillState, 'running'>;
  /** The drill release's deploy and the rollback that recovered from it (failure drills). */
  deployOperationId: string | null;
  rollbackOperationId: string | null;
  /** Time to detect: the deploy's start → its first failed check, from the journal. */
  ttdMs: number | null;
  /** Time to recover: the first failed check → the service restored (rollback's health and smoke passed), from the journal. */
  ttrMs: number | null;
  /** What was checked and what was found (JSON). */
  detail: Record<string, unknown>;
  finishedAt: number;
}

export interface DrillRecord extends NewDrill {
  id: number;
  state: DrillState;
  deployOperationId: string | null;
  rollbackOperationId: string | null;
  ttdMs: number | null;
  ttrMs: number | null;
  detail: Record<string, unknown>;
  finishedAt: number | null;
}

/** A backup's test restore, as the database drill recorded it. */
export interface BackupTestRestore {
  at: number;
  ok: boolean;
  /** Why it failed, when it did. */
  reason?: string;
  drillId: number;
}

export interface DrillLedger {
  recordDrill(drill: NewDrill): Promise<DrillRecord>;
  /** Records the result of a drill still running; a drill already finished is left as it is. */
  finishDrill(id: number, result: DrillResult): Promise<void>;
  /** Newest first; `env`: only that environment's. */
  listDrills(options?: { env?: string; limit?: number }): Promise<DrillRecord[]>;
  /** Records a test restore on a backup (replaces an earlier one). */
  recordBackupTestRestore(backupId: number, result: BackupTestRestore): Promise<void>;
}

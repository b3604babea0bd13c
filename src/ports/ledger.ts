import type { DatabaseSchema } from './database-schema.js';
import type { RowCounts } from './database-engine.js';
import type { IncidentLedger } from './ledger-incidents.js';

export type * from './ledger-incidents.js';

/**
 * The ledger: the record of environments, releases, operations, their step journals, an append-only
 * audit log of events, and per-environment locks. One implementation serves SQLite and PostgreSQL;
 * a contract suite holds both to this interface.
 */

export type ReleaseState = 'registered' | 'deploying' | 'live' | 'good' | 'failed' | 'rolled-back' | 'superseded';
export type CiResult = 'passed' | 'failed' | 'unknown';
export type OperationKind = 'deploy' | 'rollback' | 'restore' | 'down' | 'repair';
export type OperationState = 'running' | 'succeeded' | 'failed' | 'abandoned';
export type StepState = 'running' | 'succeeded' | 'failed' | 'error' | 'inconclusive' | 'skipped' | 'abandoned';

export interface EnvironmentRecord {
  name: string;
  currentVersion: string | null;
  updatedAt: number;
}

export interface ReleaseRecord {
  env: string;
  version: string;
  /** Registration order within the environment. */
  seq: number;
  artifact: string;
  digest: string;
  commit: string | null;
  ci: CiResult;
  state: ReleaseState;
  /** Order in which releases reached good; null if this one never did. The LKG is chosen by it. */
  goodSeq: number | null;
  /** What deploying it did to the database; null until a deploy with a database recorded it. */
  database: ReleaseDatabaseRecord | null;
  createdAt: number;
  updatedAt: number;
}

/** A migration a release applied when it was deployed. */
export interface AppliedMigrationRecord {
  id: string;
  name: string;
  /** Whether the release ships a down migration for it. */
  hasDown: boolean;
}

/** Recorded by a deploy's migrate step; read by the database-aware rollback. */
export interface ReleaseDatabaseRecord {
  /** Migrations this release applied, oldest first (empty: it brought none). */
  migrations: AppliedMigrationRecord[];
  /** Lint verdict of those migrations: none (no migrations), additive, breaking, or unknown (not lintable). */
  verdict: 'none' | 'additive' | 'breaking' | 'unknown';
  reasons: string[];
  /** The backup taken in this release's preflight, before its migrations ran. */
  preUpgradeBackupId: number | null;
  /**
   * The live schema as it was when this release last became current (after its migrations, or
   * after a rollback or restore onto it): what drift detection compares against. Engines that
   * cannot read a schema leave it out.
   */
  schema?: DatabaseSchema;
}

export interface NewRelease {
  env: string;
  version: string;
  artifact: string;
  digest: string;
  commit: string | null;
  ci: CiResult;
}

export interface OperationRecord {
  id: string;
  env: string;
  kind: OperationKind;
  fromVersion: string | null;
  toVersion: string;
  state: OperationState;
  plan: unknown;
  actor: string;
  parentId: string | null;
  reason: string | null;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface StepRecord {
  operationId: string;
  index: number;
  stepId: string;
  kind: string;
  state: StepState;
  attempt: number;
  detail: unknown;
  startedAt: number;
  finishedAt: number | null;
}

export interface EventRecord {
  id: number;
  at: number;
  env: string;
  operationId: string | null;
  event: string;
  actor: string;
  fromVersion: string | null;
  toVersion: string | null;
  data: Record<string, unknown>;
}

export type NewEvent = Omit<EventRecord, 'id'>;

export interface LockRecord {
  env: string;
  token: string;
  holder: string;
  host: string;
  pid: number;
  operationId: string | null;
  acquiredAt: number;
  heartbeatAt: number;
  expiresAt: number;
}

export interface LockRequest {
  env: string;
  token: string;
  holder: string;
  host: string;
  pid: number;
  operationId: string | null;
  ttlMs: number;
  now: number;
}

export type LockResult = { acquired: true; lock: LockRecord; tookOverFrom?: LockRecord } | { acquired: false; holder: LockRecord };

/** Why a backup was taken: before an upgrade (preflight), by hand, or just before a restore (seed 002). */
export type BackupKind = 'pre-upgrade' | 'manual' | 'safety';

export interface NewBackup {
  env: string;
  /** The release whose database state this is: the one running when it was taken (for pre-upgrade, the release upgraded from). */
  releaseVersion: string | null;
  kind: BackupKind;
  engine: string;
  format: string;
  path: string;
  size: number;
  sha256: string;
  /** Migration history tables as read with the backup (stored as JSON text). */
  migrationState: unknown;
  /** Critical table → row count when the backup was taken; null: the table did not exist then. */
  rowCounts: RowCounts;
  createdAt: number;
}

export interface BackupRecord extends NewBackup {
  id: number;
  /** When retention removed the file; the row stays for the audit trail. */
  deletedAt: number | null;
}

export interface Ledger extends IncidentLedger {
  readonly dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;

  ensureEnvironment(name: string, now: number): Promise<EnvironmentRecord>;
  getEnvironment(name: string): Promise<EnvironmentRecord | undefined>;
  setCurrentVersion(name: string, version: string | null, now: number): Promise<void>;

  /**
   * Inserts a release, or returns the existing row unchanged (created: false) when the version is
   * already registered, whatever its digest: the caller decides whether another digest is a conflict.
   */
  registerRelease(release: NewRelease, now: number): Promise<{ release: ReleaseRecord; created: boolean }>;
  getRelease(env: string, version: string): Promise<ReleaseRecord | undefined>;
  /** Newest first (by seq); `states`: only releases in one of these states. */
  listReleases(env: string, options?: { limit?: number; states?: readonly ReleaseState[] }): Promise<ReleaseRecord[]>;
  /** Every release, in any environment, registered with `digest` (the artifact store keeps one entry per digest). */
  findReleasesByDigest(digest: string): Promise<ReleaseRecord[]>;
  setReleaseState(env: string, version: string, state: ReleaseState, now: number): Promise<void>;
  /** Records what deploying the release did to the database (replaces an earlier record). */
  setReleaseDatabase(env: string, version: string, facts: ReleaseDatabaseRecord, now: number): Promise<void>;
  /** Marks a release good and gives it the next good sequence number. */
  markReleaseGood(env: string, version: string, now: number): Promise<void>;
  /** The newest release (by good sequence) that reached good and still stands, other than `excluding`. */
  findLastKnownGood(env: string, excluding: string | null): Promise<ReleaseRecord | undefined>;

  createOperation(operation: OperationRecord): Promise<void>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  finishOperation(id: string, state: Exclude<OperationState, 'running'>, error: string | null, now: number): Promise<void>;
  listOperations(env: string, options?: { limit?: number }): Promise<OperationRecord[]>;
  findRunningOperations(env?: string): Promise<OperationRecord[]>;

  /** Journals a step as started (a repeat after a crash increments `attempt`). */
  startStep(step: Omit<StepRecord, 'state' | 'attempt' | 'finishedAt'>): Promise<StepRecord>;
  finishStep(operationId: string, index: number, state: StepState, detail: unknown, now: number): Promise<void>;
  listSteps(operationId: string): Promise<StepRecord[]>;

  /** Events are append-only: there is no update or delete, and the schema refuses both. */
  appendEvent(event: NewEvent): Promise<EventRecord>;
  listEvents(env: string, options?: { limit?: number; operationIds?: string[]; afterId?: number }): Promise<EventRecord[]>;

  acquireLock(request: LockRequest, canTakeOver: (holder: LockRecord) => boolean): Promise<LockResult>;
  heartbeatLock(env: string, token: string, ttlMs: number, now: number): Promise<boolean>;
  setLockOperation(env: string, token: string, operationId: string): Promise<void>;
  releaseLock(env: string, token: string): Promise<boolean>;
  getLock(env: string): Promise<LockRecord | undefined>;
  /** Removes the lock whoever holds it; the caller audits this. */
  forceReleaseLock(env: string): Promise<LockRecord | undefined>;

  /** Database backups: recorded when complete, marked deleted (never removed) when pruned. */
  recordBackup(backup: NewBackup): Promise<BackupRecord>;
  getBackup(id: number): Promise<BackupRecord | undefined>;
  /** Newest first. */
  listBackups(env: string, options?: { includeDeleted?: boolean }): Promise<BackupRecord[]>;
  markBackupDeleted(id: number, now: number): Promise<void>;
  /** The newest backup of that kind taken for that release that is not deleted. */
  latestBackupFor(env: string, releaseVersion: string, kind: BackupKind): Promise<BackupRecord | undefined>;
}

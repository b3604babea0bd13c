import type { DatabaseSchema } from './database-schema.js';
import type { RowCounts } from './database-engine.js';
import type { DoraLedger } from './ledger-dora.js';
import type { IncidentLedger } from './ledger-incidents.js';
import type { BackupTestRestore, DrillLedger } from './ledger-drills.js';

export type * from './ledger-incidents.js';
export type * from './ledger-drills.js';
export type * from './ledger-dora.js';

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
  /** When the commit was made (epoch ms), given at register (`--commit-time`); null: not recorded. Lead time runs from it. */
  committedAt?: number | null;
  ci: CiResult;
  state: ReleaseState;
  /** Order in which releases reached good; null if this one never did. The LKG is chosen by it. */
  goodSeq: number | null;
  /** What deploying it did to the database; null until a deploy with a database recorded it. */
  database: ReleaseDatabaseRecord | null;
  /** A drill release (`rewind drill`): never a last known good, not a rollback target, not a deploy in statistics. */
  drill: boolean;
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
  /** When the commit was made (epoch ms); absent or null: not known. */
  committedAt?: number | null;
  ci: CiResult;
  /** Registered by `rewind drill` (default false). */
  drill?: boolean;
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
  /** The last test restore a database drill made of it; null: never test-restored, so not trusted. */
  testRestore: BackupTestRestore | null;
}

/** Where a notification stands in the outbox: waiting (or being sent), sent, or given up on. */
export type NotificationState = 'pending' | 'delivered' | 'dead';

/**
 * One message for one notifier destination, as enqueued. The ledger holds no secret: `payload` is
 * built from the redacted event, and the destination is named by a fingerprint and a masked label;
 * the URL, routing key and signing secret are read from the config when the message is sent.
 */
export interface NewNotification {
  /** The idempotency key: unique, sent with every attempt so a receiver can drop repeats. */
  key: string;
  env: string;
  /** The notifier type (`webhook`, `slack`, `pagerduty`). */
  notifier: string;
  /** Which configured destination of that type: a fingerprint of its config (config changes orphan a row, they never redirect it). */
  destination: string;
  /** The destination for people: scheme and host, secrets masked. */
  label: string;
  event: string;
  operationId: string | null;
  /** What the channel renders the request from (JSON), secret-free. */
  payload: unknown;
  now: number;
}

export interface NotificationRecord {
  id: number;
  key: string;
  env: string;
  notifier: string;
  destination: string;
  label: string;
  event: string;
  operationId: string | null;
  payload: unknown;
  state: NotificationState;
  /** Attempts claimed so far (a claim counts: a process that dies mid-send used one). */
  attempts: number;
  /** Not sent again before this. */
  nextAttemptAt: number;
  /** The process sending it now, until `claimedUntil`; after that anyone may claim it again. */
  claimedBy: string | null;
  claimedUntil: number | null;
  lastError: string | null;
  createdAt: number;
  /** When it was (re)queued: what a maximum age is measured from. */
  queuedAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export interface NotificationClaim {
  /** Who claims (host:pid:random), written on the rows so only that sender can finish them. */
  owner: string;
  now: number;
  /** How long the claim holds: longer than one attempt can take. */
  leaseMs: number;
  limit: number;
  /** Only this environment's messages (default: every environment's). */
  env?: string;
}

export type NotificationOutcome =
  | { state: 'delivered'; now: number }
  | { state: 'pending'; error: string; nextAttemptAt: number; now: number }
  | { state: 'dead'; error: string; now: number };

export type NotificationCounts = Record<NotificationState, number>;

export interface Ledger extends IncidentLedger, DrillLedger, DoraLedger {
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
  /** The newest release (by good sequence) that reached good and still stands, other than `excluding`; never a drill release. */
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

  /** The notify outbox. Enqueues each message once: a key already there is left as it is. Returns the rows of the given keys. */
  enqueueNotifications(messages: readonly NewNotification[]): Promise<NotificationRecord[]>;
  /**
   * Claims up to `limit` pending messages that are due and not claimed by anyone else (or whose
   * claim expired: its sender died), oldest first, counting an attempt on each. Two senders never
   * claim the same row at once.
   */
  claimNotifications(claim: NotificationClaim): Promise<NotificationRecord[]>;
  /** Ends the attempt `owner` claimed; false (nothing written) when the claim is no longer its own. */
  finishNotification(id: number, owner: string, outcome: NotificationOutcome): Promise<boolean>;
  /** Newest first; `env` and `states` narrow it. */
  listNotifications(options?: { env?: string; states?: readonly NotificationState[]; limit?: number }): Promise<NotificationRecord[]>;
  countNotifications(env?: string): Promise<NotificationCounts>;
  /** Dead messages back to pending, due now, attempts from zero (their last error kept until the next attempt); `ids`: only those. */
  requeueNotifications(options: { env?: string; ids?: readonly number[]; now: number }): Promise<NotificationRecord[]>;
}

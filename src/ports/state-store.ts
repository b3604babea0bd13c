/**
 * A state store next to the database (Redis, seed 004 "Application State Rollback"): sessions,
 * caches and queues a release writes, which a rollback may have to put back as they were before the
 * upgrade. The contract every adapter meets (test/contracts/state-store-contract.ts runs it against
 * the real server):
 *
 * - Nothing here writes a secret anywhere: `describe()` and every message name the server by host,
 *   port and database, never by its URL's password.
 * - `snapshot` changes nothing in the store's data. It refuses with REWIND_E_STATE_SNAPSHOT_FAILED,
 *   naming the cause (a refused or renamed BGSAVE, a MISCONF, a failed background save), and then
 *   leaves no file at `destination`.
 * - `verify` reads only the file: sha256 against the record, and the format's magic.
 * - `restore` verifies first and refuses a file that does not match with REWIND_E_BACKUP_CORRUPT
 *   before it touches the server. After it the server answers with the snapshot's data whatever its
 *   persistence settings (an append-only file is seeded from the snapshot, never replayed over it),
 *   and the report says how the key counts compare with the snapshot's (keys whose TTL passed while
 *   the snapshot waited are gone). Counts the snapshot recorded as exact that differ in a way TTLs
 *   cannot explain: REWIND_E_RESTORE_MISMATCH (the data is restored; the message says how it differs).
 * - `cleanup` deletes only keys matching the patterns, by incremental scan (never a blocking
 *   listing of every key), and empties the whole database only when `flushdb` is asked for.
 */

/** Keys under each configured prefix (`sess:` → 120), and how many of them had a TTL. */
export type KeyCounts = Record<string, { keys: number; volatile: number }>;

export interface StateStoreInfo {
  /** The server's version (`7.0.15`). */
  version: string;
  /** Whether the server persists an append-only file (with it on, a restart loads that file, not the snapshot). */
  aof: boolean;
}

export interface StateSnapshot {
  path: string;
  sha256: string;
  size: number;
  version: string;
  aof: boolean;
  keyCounts: KeyCounts;
  /**
   * True when the counts were the same just before and just after the snapshot: nothing added or
   * removed keys under the prefixes meanwhile, so they are the snapshot's own. False: the app wrote
   * while it was taken, and a restore compares against them only loosely.
   */
  exactCounts: boolean;
  durationMs: number;
}

/** What a restore did and found. */
export interface StateRestoreReport {
  keyCounts: KeyCounts;
  /** Per prefix, keys fewer than the snapshot recorded, all explained by TTLs that passed. */
  expired: Record<string, number>;
  /** Where the append-only file the server had before was moved (null: it had none, or AOF is off). */
  aofMovedTo: string | null;
  durationMs: number;
}

export interface CleanupRequest {
  /** Glob patterns (`sess:*`): every key matching one is unlinked. */
  patterns: readonly string[];
  /** Empty the whole database instead (FLUSHDB); only when the config says so explicitly. */
  flushdb: boolean;
}

export interface CleanupReport {
  /** Keys deleted per pattern; with flushdb, `{ '*': <keys before> }`. */
  deleted: Record<string, number>;
  flushed: boolean;
}

export interface StateStore {
  readonly type: string;
  /** `redis 127.0.0.1:6380 db 0`: for plans and messages, no secret. */
  describe(): string;
  /** Answers, and says what the server is; a coded REWIND_E_STATE_UNREACHABLE when it does not answer. */
  info(): Promise<StateStoreInfo>;
  countKeys(): Promise<KeyCounts>;
  /** Writes the snapshot file at `destination` (a new file) and returns its record. */
  snapshot(destination: string): Promise<StateSnapshot>;
  verify(snapshot: Pick<StateSnapshot, 'path' | 'sha256'>): Promise<{ ok: boolean; reason?: string }>;
  restore(snapshot: Omit<StateSnapshot, 'durationMs'>): Promise<StateRestoreReport>;
  cleanup(request: CleanupRequest): Promise<CleanupReport>;
  close(): Promise<void>;
}

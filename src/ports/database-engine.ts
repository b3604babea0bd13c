import type { BackupArtifact } from './backup-artifact.js';
import type { PitrSupport } from './database-pitr.js';
import type { DatabaseSchema } from './database-schema.js';
import type { CommandSpec } from './executor.js';

/**
 * A database a release depends on: backup, verify, restore, and the introspection the database-aware
 * rollback needs. One adapter per engine (postgres, mysql, sqlite), each held to one contract suite
 * against the real server. Adapters that shell out build CommandSpecs (argv) and run them through
 * the Executor; they never build shell strings.
 */
export type DatabaseEngineName = 'postgres' | 'mysql' | 'sqlite';

// Declared below both this port and the PITR port, which extends it (BaseBackup): no type loop between them.
export type { BackupArtifact };

/** One migration history table as found in the database (the shape `src/migrations` readers take). */
export interface MigrationTableState {
  name: string;
  columns: string[];
  /** Rows in a stable order (sorted by their JSON form); values are JSON-safe (dates as ISO strings). */
  rows: Record<string, unknown>[];
}

/** Critical table → exact row count, or null when the table does not exist. */
export type RowCounts = Record<string, number | null>;

export interface DatabaseSnapshot {
  /** Every known migration history table present (`_prisma_migrations`, `knex_migrations`, …); compared after a restore. */
  migrationState: MigrationTableState[];
  /**
   * Exact row counts (`count(*)`) of the configured critical tables; `null` for a table that does not
   * exist (yet: the release's own migrations may create it). A restore of this snapshot's backup must
   * give the same: the table absent again, never "0 rows".
   */
  rowCounts: RowCounts;
}

export interface BackupResult {
  artifact: BackupArtifact;
  /**
   * The snapshot of what the backup contains: PostgreSQL reads it in the very transaction snapshot
   * pg_dump exports; SQLite reads it from the backup file; MySQL reads it just before the dump
   * starts (exact when writes are stopped).
   */
  snapshot: DatabaseSnapshot;
}

export interface DatabaseEngine {
  readonly engine: DatabaseEngineName;
  /** Suffix rewind gives backup paths for this engine and format, e.g. `.dump.zst`, `.sql.gz`, `.sqlite`, `` (directory). */
  readonly extension: string;
  /**
   * The argv a backup will run, for plans and dry-runs. Each inner array is one pipeline (each
   * stage's stdout feeds the next stage's stdin); pipelines run in order. Empty for in-process engines (sqlite).
   */
  describeBackup(destination: string): CommandSpec[][];
  describeRestore(backup: BackupArtifact): CommandSpec[][];
  /** `SELECT 1` or equivalent; REWIND_E_DB_UNREACHABLE naming host and port when it fails. */
  ping(): Promise<void>;
  /** Writes the dump at exactly `destination` (through a `.partial` file renamed when complete). */
  backup(destination: string, criticalTables: readonly string[]): Promise<BackupResult>;
  /** Checksum, then readability (`pg_restore --list` or equivalent). Never touches the database. */
  verify(backup: BackupArtifact): Promise<{ ok: boolean; reason?: string }>;
  /**
   * Replaces the database's contents with the backup's: objects created after the backup are gone
   * too. Checks the checksum first and refuses a corrupt backup (REWIND_E_BACKUP_CORRUPT) before
   * anything is touched. The caller stops writes first.
   */
  restore(backup: BackupArtifact): Promise<void>;
  snapshot(criticalTables: readonly string[]): Promise<DatabaseSnapshot>;
  /** The live schema from the catalog, for drift detection; absent on engines that cannot read one yet. */
  readSchema?(): Promise<DatabaseSchema>;
  /**
   * The schema these migrations build, from a scratch database on the same server that is always
   * dropped afterwards (REWIND_E_REPLAY_FAILED naming the file when one fails); absent where unsupported.
   */
  replaySchema?(migrations: readonly { id: string; upPath: string }[]): Promise<DatabaseSchema>;
  /**
   * Restores `backup` into a scratch database that is not the live one (PostgreSQL, MySQL: a
   * temporary database on the same server; SQLite: a temporary file), reads its snapshot, and removes the
   * scratch database whatever happened. The live database is never touched. This is the database
   * drill's test restore (docs/drills.md); absent on engines that cannot do it yet.
   */
  restoreIntoScratch?(backup: BackupArtifact, criticalTables: readonly string[]): Promise<DatabaseSnapshot & { scratch: string }>;
  /** Point-in-time recovery (continuous WAL archiving); absent on engines without it. */
  readonly pitr?: PitrSupport;
  close(): Promise<void>;
}

/** Migration history as rewind sees it, whatever tool wrote it. */
export type MigrationTool = 'prisma' | 'knex' | 'node-pg-migrate' | 'golang-migrate' | 'flyway' | 'drizzle' | 'typeorm';

/** A history table as read from the database: its name, its columns, its rows. */
export interface HistoryTable {
  name: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface AppliedMigration {
  /** The key that matches a migration on disk (folder name, file name, version…). */
  id: string;
  name: string;
  appliedAt: string | null;
  state: 'applied' | 'failed' | 'rolled-back';
}

export interface MigrationHistory {
  tool: MigrationTool;
  table: string;
  applied: AppliedMigration[];
  /** Conditions that must stop a deploy: a failed Prisma migration, a dirty golang-migrate version, a failed Flyway row. */
  blockers: string[];
}

/** A migration on disk. */
export interface MigrationFile {
  id: string;
  name: string;
  /** The SQL (or script) that applies it. */
  upPath: string;
  /** The SQL that reverts it, when the tool keeps one. */
  downPath?: string;
}

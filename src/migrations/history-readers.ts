import type { AppliedMigration, HistoryTable, MigrationHistory, MigrationTool } from './migration-history.js';

interface HistoryReader {
  tool: MigrationTool;
  /** Table names the tool uses by default. */
  tables: readonly string[];
  /** Columns that identify the tool's table; TypeORM and Laravel both use `migrations`, so names alone are not enough. */
  requiredColumns: readonly string[];
  read(table: HistoryTable): Omit<MigrationHistory, 'tool' | 'table'>;
}

const iso = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const number = Number(value);
  if (typeof value !== 'boolean' && Number.isFinite(number) && String(value).length >= 10) return new Date(number).toISOString();
  const date = new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
};
const text = (value: unknown): string => String(value ?? '');
const truthy = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't' || value === 'true';

const applied = (id: string, name: string, appliedAt: unknown, state: AppliedMigration['state'] = 'applied'): AppliedMigration => ({
  id,
  name,
  appliedAt: iso(appliedAt),
  state,
});

/** One reader per tool, keyed by tool; detection walks this list. */
export const HISTORY_READERS: readonly HistoryReader[] = [
  {
    tool: 'prisma',
    tables: ['_prisma_migrations'],
    requiredColumns: ['migration_name', 'finished_at', 'rolled_back_at', 'checksum'],
    read({ rows }) {
      const blockers: string[] = [];
      const list = rows.map((row) => {
        const name = text(row.migration_name);
        // Prisma's own rule: neither finished nor rolled back means the migration failed midway.
        if (row.rolled_back_at != null) return applied(name, name, row.rolled_back_at, 'rolled-back');
        if (row.finished_at == null) {
          blockers.push(`prisma migration ${name} failed (finished_at and rolled_back_at are both empty): resolve it with \`prisma migrate resolve\` before deploying`);
          return applied(name, name, row.started_at, 'failed');
        }
        return applied(name, name, row.finished_at);
      });
      return { applied: list, blockers };
    },
  },
  {
    tool: 'knex',
    tables: ['knex_migrations'],
    requiredColumns: ['name', 'batch', 'migration_time'],
    read: ({ rows }) => ({ applied: rows.map((r) => applied(text(r.name), text(r.name), r.migration_time)), blockers: [] }),
  },
  {
    tool: 'node-pg-migrate',
    tables: ['pgmigrations'],
    requiredColumns: ['name', 'run_on'],
    read: ({ rows }) => ({ applied: rows.map((r) => applied(text(r.name), text(r.name), r.run_on)), blockers: [] }),
  },
  {
    tool: 'golang-migrate',
    tables: ['schema_migrations'],
    requiredColumns: ['version', 'dirty'],
    read({ rows }) {
      // golang-migrate keeps one row: the current version. Everything at or below it is applied.
      const row = rows[0];
      if (!row) return { applied: [], blockers: [] };
      const version = text(row.version);
      const blockers = truthy(row.dirty)
        ? [`golang-migrate version ${version} is dirty (a migration failed midway): fix the schema by hand and \`migrate force\` before deploying`]
        : [];
      return { applied: [applied(version, version, null, truthy(row.dirty) ? 'failed' : 'applied')], blockers };
    },
  },
  {
    tool: 'flyway',
    tables: ['flyway_schema_history'],
    requiredColumns: ['installed_rank', 'version', 'script', 'success'],
    read({ rows }) {
      const blockers: string[] = [];
      const list = rows
        .filter((r) => r.version !== null && r.version !== undefined) // repeatable (R__) and baseline markers have no version
        .map((r) => {
          const ok = truthy(r.success);
          if (!ok) blockers.push(`flyway migration ${text(r.version)} (${text(r.script)}) failed: run \`flyway repair\` after fixing it`);
          return applied(text(r.version), text(r.script), r.installed_on, ok ? 'applied' : 'failed');
        });
      return { applied: list, blockers };
    },
  },
  {
    tool: 'drizzle',
    tables: ['__drizzle_migrations'],
    requiredColumns: ['hash', 'created_at'],
    // Drizzle records the journal entry's `when` (ms) as created_at; that is the key to the files.
    read: ({ rows }) => ({ applied: rows.map((r) => applied(text(r.created_at), text(r.hash), r.created_at)), blockers: [] }),
  },
  {
    tool: 'typeorm',
    tables: ['migrations', 'typeorm_migrations'],
    requiredColumns: ['timestamp', 'name'],
    read: ({ rows }) => ({ applied: rows.map((r) => applied(text(r.timestamp), text(r.name), null)), blockers: [] }),
  },
];

/** Which tool wrote this table, judged by its name and columns; null for Laravel's `migrations` and anything unknown. */
export function detectTool(table: Pick<HistoryTable, 'name' | 'columns'>): MigrationTool | null {
  const columns = new Set(table.columns.map((c) => c.toLowerCase()));
  const reader = HISTORY_READERS.find((r) => r.tables.includes(table.name) && r.requiredColumns.every((c) => columns.has(c)));
  return reader?.tool ?? null;
}

export function readHistory(table: HistoryTable): MigrationHistory | null {
  const tool = detectTool(table);
  if (!tool) return null;
  const reader = HISTORY_READERS.find((r) => r.tool === tool)!;
  return { tool, table: table.name, ...reader.read(table) };
}

/** Every table name any supported tool may use, for the introspection query. */
export const HISTORY_TABLE_NAMES: readonly string[] = [...new Set(HISTORY_READERS.flatMap((r) => r.tables))];

/**
 * Migration history tables rewind records with each backup and ignores in schema drift: every table
 * the readers above know, and those of tools rewind records but cannot read yet.
 */
export const MIGRATION_TABLES: readonly string[] = [...HISTORY_TABLE_NAMES, 'SequelizeMeta', 'kysely_migration', 'goose_db_version', '__EFMigrationsHistory', 'doctrine_migration_versions'];

import { HISTORY_TABLE_NAMES, readHistory } from './history-readers.js';
import type { HistoryTable, MigrationHistory } from './migration-history.js';

/** Runs a read-only query with positional parameters; each engine adapter supplies one. */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

const quote = (dialect: SqlDialect, identifier: string): string =>
  dialect === 'mysql' ? `\`${identifier.replace(/`/g, '``')}\`` : `"${identifier.replace(/"/g, '""')}"`;

interface FoundTable {
  schema: string | null;
  name: string;
  columns: string[];
}

/** Finds the known history tables through the catalog; table names come from our own list, never from input. */
async function findTables(dialect: SqlDialect, query: SqlQuery): Promise<FoundTable[]> {
  const grouped = new Map<string, FoundTable>();
  if (dialect === 'sqlite') {
    for (const name of HISTORY_TABLE_NAMES) {
      const columns = await query(`SELECT name FROM pragma_table_info(?)`, [name]);
      if (columns.length) grouped.set(name, { schema: null, name, columns: columns.map((c) => String(c.name)) });
    }
    return [...grouped.values()];
  }
  const rows =
    dialect === 'postgres'
      ? await query(
          `SELECT table_schema AS s, table_name AS t, column_name AS c FROM information_schema.columns
           WHERE table_name = ANY($1) AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY ordinal_position`,
          [HISTORY_TABLE_NAMES],
        )
      : await query(
          `SELECT table_schema AS s, table_name AS t, column_name AS c FROM information_schema.columns
           WHERE table_schema = DATABASE() AND table_name IN (${HISTORY_TABLE_NAMES.map(() => '?').join(', ')}) ORDER BY ordinal_position`,
          [...HISTORY_TABLE_NAMES],
        );
  for (const row of rows) {
    const key = `${String(row.s)}.${String(row.t)}`;
    const table = grouped.get(key) ?? { schema: String(row.s), name: String(row.t), columns: [] };
    table.columns.push(String(row.c));
    grouped.set(key, table);
  }
  return [...grouped.values()];
}

/** Every migration history the database holds (usually one), read and interpreted. */
export async function findMigrationHistories(dialect: SqlDialect, query: SqlQuery): Promise<MigrationHistory[]> {
  const histories: MigrationHistory[] = [];
  for (const found of await findTables(dialect, query)) {
    const probe: HistoryTable = { name: found.name, columns: found.columns, rows: [] };
    if (!readHistory(probe)) continue; // e.g. Laravel's `migrations`: same name as TypeORM's, other columns
    const from = found.schema && dialect === 'postgres' ? `${quote(dialect, found.schema)}.${quote(dialect, found.name)}` : quote(dialect, found.name);
    const rows = await query(`SELECT * FROM ${from}`);
    histories.push(readHistory({ ...probe, rows })!);
  }
  return histories;
}

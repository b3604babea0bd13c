import { RewindError } from '../../errors/rewind-error.js';
import { nullPrototypeRecord } from '../../util/own-property.js';

/** What a snapshot reads from tables, made comparable: rows JSON-safe and in a stable order, table names split for quoting. */

/** Driver values made JSON-stable: dates as ISO strings, bytes as hex, big integers as strings. */
export function jsonSafeRow(row: Record<string, unknown>): Record<string, unknown> {
  // Keyed by the table's column names: without a prototype a column `__proto__` is kept like any other.
  const out = nullPrototypeRecord<unknown>();
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = Number.isNaN(value.getTime()) ? null : value.toISOString();
    else if (Buffer.isBuffer(value)) out[key] = value.toString('hex');
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

/** Rows in a stable order, whatever order the database returned them in. */
export function stableRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows
    .map(jsonSafeRow)
    .map((row) => ({ row, key: JSON.stringify(row) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ row }) => row);
}

/** `schema.table` or `table` split for quoting; a name with more dots is refused. */
export function splitTableName(name: string): string[] {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((part) => part.length === 0)) {
    throw new RewindError('REWIND_E_CONFIG_INVALID', `database.criticalTables: ${JSON.stringify(name)} is not a table name (use "table" or "schema.table")`);
  }
  return parts;
}

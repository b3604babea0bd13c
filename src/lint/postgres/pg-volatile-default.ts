import type { Node } from 'libpg-query';

/**
 * Since PostgreSQL 11, ADD COLUMN with a DEFAULT stores the value once in the catalog instead of
 * rewriting every row, but only when the default is not VOLATILE. `now()` and CURRENT_TIMESTAMP
 * are STABLE (one value per transaction), so they are fast; these built-ins are VOLATILE (one
 * value per row) and force a full rewrite under an ACCESS EXCLUSIVE lock. User-defined functions
 * cannot be judged from the SQL text and are not flagged.
 */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'gen_random_bytes',
  'nextval',
  'setval',
]);

/** The first volatile built-in called anywhere in the expression, if any. */
export function volatileCall(expression: Node | undefined): string | undefined {
  return expression === undefined ? undefined : find(expression);
}

function find(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = find(item);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const call = record.FuncCall as { funcname?: Node[] } | undefined;
  if (call) {
    const last = call.funcname?.at(-1);
    const name = last && 'String' in last ? last.String.sval : undefined;
    if (name && VOLATILE_FUNCTIONS.has(name)) return `${name}()`;
  }
  for (const child of Object.values(record)) {
    const found = find(child);
    if (found) return found;
  }
  return undefined;
}

/** serial types are integers with a `nextval()` default: adding one rewrites the table. */
export const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

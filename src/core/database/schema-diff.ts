import { RewindError } from '../../errors/rewind-error.js';

/*
 * A database schema as plain data, and the pure comparison of two of them (drift detection).
 *
 * The shapes are in ports/database-schema.ts: the PostgreSQL reader
 * (adapters/databases/postgres/postgres-schema-reader.ts) produces them, this file only compares them.
 */

import type { SchemaColumn, ConstraintType, SchemaConstraint, SchemaIndex, SchemaTable, SchemaView, SchemaEnum, SchemaSequence, DatabaseSchema, SchemaObjectKind, SchemaObject } from '../../ports/database-schema.js';

export type { SchemaColumn, ConstraintType, SchemaConstraint, SchemaIndex, SchemaTable, SchemaView, SchemaEnum, SchemaSequence, DatabaseSchema, SchemaObjectKind, SchemaObject };

/**
 * One difference. `expected` is the schema the migrations produce, `actual` the live one:
 * `missing` = expected but absent, `unexpected` = present but not expected, `changed` = both, unequal.
 * A missing or unexpected table (or view) is one difference; its columns, constraints and indexes
 * are in `expected` / `actual`, not listed one by one.
 */
export interface SchemaDifference {
  kind: 'missing' | 'unexpected' | 'changed';
  object: SchemaObjectKind;
  /** Dotted: `public.users`, `public.users.email` (column, constraint or index of a table), `public.mood`. */
  name: string;
  expected?: SchemaObject;
  actual?: SchemaObject;
}

const OBJECT_ORDER: readonly SchemaObjectKind[] = ['table', 'view', 'column', 'constraint', 'index', 'enum', 'sequence'];

// Plain code-unit order: localeCompare would depend on the ICU data of the machine running rewind.
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Deep equality of the JSON-like values above, blind to key order. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => same(item, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function indexBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

/** Missing / unexpected / changed over two keyed lists; `compare` overrides plain equality when the object has children. */
function diffLists<T extends SchemaObject>(
  object: SchemaObjectKind,
  expected: readonly T[],
  actual: readonly T[],
  key: (item: T) => string,
  compare: (name: string, expected: T, actual: T) => SchemaDifference[] = (name, e, a) => (same(e, a) ? [] : [{ kind: 'changed', object, name, expected: e, actual: a }]),
): SchemaDifference[] {
  const want = indexBy(expected, key);
  const have = indexBy(actual, key);
  const out: SchemaDifference[] = [];
  for (const [name, e] of want) {
    const a = have.get(name);
    out.push(...(a ? compare(name, e, a) : [{ kind: 'missing' as const, object, name, expected: e }]));
  }
  for (const [name, a] of have) if (!want.has(name)) out.push({ kind: 'unexpected', object, name, actual: a });
  return out;
}

const qualified = (o: { schema: string; name: string }): string => `${o.schema}.${o.name}`;

function diffTable(name: string, expected: SchemaTable, actual: SchemaTable): SchemaDifference[] {
  const child = (c: { name: string }) => `${name}.${c.name}`;
  return [
    ...diffLists('column', expected.columns, actual.columns, child),
    ...diffLists('constraint', expected.constraints, actual.constraints, child),
    ...diffLists('index', expected.indexes, actual.indexes, child),
  ];
}

function diffView(name: string, expected: SchemaView, actual: SchemaView): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  if (expected.materialized !== actual.materialized || expected.definition !== actual.definition) out.push({ kind: 'changed', object: 'view', name, expected, actual });
  out.push(...diffLists('index', expected.indexes, actual.indexes, (i) => `${name}.${i.name}`));
  return out;
}

/**
 * Every difference between the schema the migrations produce (`expected`) and the live one
 * (`actual`), sorted by name (a table before its columns), so the same two schemas always give the
 * same list whatever order their arrays came in. An empty list means no drift.
 */
export function diffSchemas(expected: DatabaseSchema, actual: DatabaseSchema): SchemaDifference[] {
  const diff = [
    ...diffLists('table', expected.tables, actual.tables, qualified, diffTable),
    ...diffLists('view', expected.views, actual.views, qualified, diffView),
    ...diffLists('enum', expected.enums, actual.enums, qualified),
    ...diffLists('sequence', expected.sequences, actual.sequences, qualified),
  ];
  return diff.sort((a, b) => byText(a.name, b.name) || OBJECT_ORDER.indexOf(a.object) - OBJECT_ORDER.indexOf(b.object));
}

// Views print on one line; their stored definition keeps PostgreSQL's line breaks.
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function describeColumn(c: SchemaColumn): string {
  const parts = [c.type];
  if (!c.nullable) parts.push('NOT NULL');
  if (c.generated) parts.push(`GENERATED ALWAYS AS (${c.default ?? ''}) STORED`);
  else if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.identity) parts.push(`GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
  return parts.join(' ');
}

function describeSequence(s: SchemaSequence): string {
  const parts = [s.type, `START ${s.start}`, `INCREMENT ${s.increment}`, `MINVALUE ${s.min}`, `MAXVALUE ${s.max}`, `CACHE ${s.cache}`];
  if (s.cycle) parts.push('CYCLE');
  if (s.ownedBy) parts.push(`OWNED BY ${s.ownedBy}`);
  return parts.join(' ');
}

/** What one object is, in SQL-ish words, for a diff line. */
export function describeSchemaObject(object: SchemaObjectKind, value: SchemaObject): string {
  switch (object) {
    case 'column':
      return describeColumn(value as SchemaColumn);
    case 'constraint':
    case 'index':
      return (value as SchemaConstraint | SchemaIndex).definition;
    case 'table':
      return `(${(value as SchemaTable).columns.map((c) => `${c.name} ${describeColumn(c)}`).join(', ')})`;
    case 'view': {
      const v = value as SchemaView;
      return `${v.materialized ? 'MATERIALIZED ' : ''}AS ${oneLine(v.definition)}`;
    }
    case 'enum':
      return `(${(value as SchemaEnum).labels.map((l) => `'${l.replace(/'/g, "''")}'`).join(', ')})`;
    case 'sequence':
      return describeSequence(value as SchemaSequence);
  }
}

/**
 * A readable text diff, one line per difference, in the order given:
 *   `- column public.users.email text NOT NULL`                 (expected, missing from the database)
 *   `+ index public.users.users_name_idx CREATE INDEX …`        (in the database, not expected)
 *   `~ column public.users.status: expected text DEFAULT 'a'::text, found text DEFAULT 'b'::text`
 * Empty text for an empty diff, so callers choose their own "no drift" wording.
 */
export function renderSchemaDiff(diff: readonly SchemaDifference[]): string {
  return diff
    .map((d) => {
      if (d.kind === 'changed') {
        return `~ ${d.object} ${d.name}: expected ${describeSchemaObject(d.object, d.expected!)}, found ${describeSchemaObject(d.object, d.actual!)}`;
      }
      const sign = d.kind === 'missing' ? '-' : '+';
      return `${sign} ${d.object} ${d.name} ${describeSchemaObject(d.object, (d.expected ?? d.actual)!)}`;
    })
    .join('\n');
}

/** Counts per kind, e.g. for a one-line summary or a JSON report. */
export function countSchemaDiff(diff: readonly SchemaDifference[]): Record<SchemaDifference['kind'], number> {
  const counts = { missing: 0, unexpected: 0, changed: 0 };
  for (const d of diff) counts[d.kind]++;
  return counts;
}

/**
 * Throws REWIND_E_DRIFT (its own exit code, so scripts and CI can tell drift from a failure to
 * check) when there is any difference; the message carries the rendered diff, the details the list.
 */
export function assertNoSchemaDrift(diff: readonly SchemaDifference[], where: string): void {
  if (diff.length === 0) return;
  const { missing, unexpected, changed } = countSchemaDiff(diff);
  throw new RewindError(
    'REWIND_E_DRIFT',
    `schema of ${where} drifted from its migrations (${missing} missing, ${unexpected} unexpected, ${changed} changed):\n${renderSchemaDiff(diff)}`,
    { where, differences: diff },
  );
}

import type pg from 'pg';
import { RewindError } from '../../../errors/rewind-error.js';
import type {
  ConstraintType,
  DatabaseSchema,
  SchemaColumn,
  SchemaConstraint,
  SchemaEnum,
  SchemaIndex,
  SchemaSequence,
  SchemaTable,
  SchemaView,
} from '../../../ports/database-schema.js';
import { redactor } from '../../../util/redact.js';
import { MIGRATION_TABLES } from '../../../migrations/history-readers.js';

/**
 * Tables whose rows matter, not their shape: the migration tools' history and lock tables. The
 * scratch replay never has them (the tool writes them, not the migration SQL), so comparing them
 * would report drift on every database. A bare name matches in any schema.
 */
export const DEFAULT_IGNORED_TABLES: readonly string[] = [
  ...MIGRATION_TABLES,
  'knex_migrations_lock',
  'kysely_migration_lock',
  'pgmigrations_lock',
  'databasechangelog',
  'databasechangeloglock',
  'alembic_version',
  'atlas_schema_revisions',
];

export interface ReadSchemaOptions {
  /** `name` (any schema) or `schema.name`; replaces DEFAULT_IGNORED_TABLES (spread it to extend). */
  ignoreTables?: readonly string[];
}

/** What the reader needs of a `pg` client: the one method, so a pool client works too. */
export type SchemaQueryable = Pick<pg.ClientBase, 'query'>;

// Schemas PostgreSQL owns (pg_catalog, pg_toast, pg_temp_N…, information_schema), and objects an
// extension created (postgis' spatial_ref_sys): neither is the application's migrations' doing.
const USER_NAMESPACE = `n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`;
const notFromExtension = (catalog: string, oid: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

const RELATIONS = `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${USER_NAMESPACE} AND ${notFromExtension('pg_catalog.pg_class', 'c.oid')}`;

const RELATIONS_SQL = `SELECT schema, name, relkind, CASE WHEN relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(oid) END AS definition FROM (${RELATIONS}) r`;

const COLUMNS_SQL = `WITH r AS (${RELATIONS})
SELECT r.schema, r.name AS relation, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default",
       a.attidentity AS identity, a.attgenerated AS generated
  FROM pg_catalog.pg_attribute a JOIN r ON r.oid = a.attrelid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;

// NOT NULL is a column property here (PostgreSQL 17 and older keep it out of pg_constraint).
const CONSTRAINTS_SQL = `WITH r AS (${RELATIONS})
SELECT r.schema, r.name AS relation, con.conname AS name, con.contype AS type, pg_catalog.pg_get_constraintdef(con.oid) AS definition
  FROM pg_catalog.pg_constraint con JOIN r ON r.oid = con.conrelid
 WHERE con.contype IN ('p', 'u', 'c', 'f', 'x')`;

// An index that backs a primary key, unique or exclusion constraint of its own table is reported as
// that constraint; listing it again would double every such difference.
const INDEXES_SQL = `WITH r AS (${RELATIONS})
SELECT r.schema, r.name AS relation, ic.relname AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_catalog.pg_index i JOIN r ON r.oid = i.indrelid JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))`;

const ENUMS_SQL = `SELECT n.nspname AS schema, t.typname AS name, pg_catalog.array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
 WHERE t.typtype = 'e' AND ${USER_NAMESPACE} AND ${notFromExtension('pg_catalog.pg_type', 't.oid')}
 GROUP BY n.nspname, t.typname`;

// Identity sequences (dependency 'i') are left out: the column's identity already says they exist,
// and their names are PostgreSQL's choice. Serial sequences (dependency 'a') say which column owns them.
const SEQUENCES_SQL = `SELECT n.nspname AS schema, c.relname AS name, pg_catalog.format_type(s.seqtypid, NULL) AS type,
       s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
       s.seqcache::text AS cache, s.seqcycle AS cycle, tn.nspname AS owner_schema, tc.relname AS owner_table, ta.attname AS owner_column
  FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
       AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
 WHERE ${USER_NAMESPACE} AND ${notFromExtension('pg_catalog.pg_class', 'c.oid')} AND (d.deptype IS NULL OR d.deptype = 'a')`;

const CONSTRAINT_TYPES: Record<string, ConstraintType> = { p: 'primary-key', u: 'unique', c: 'check', f: 'foreign-key', x: 'exclusion' };

// Plain code-unit order, not the server's collation nor the machine's locale: the same schema must
// give the same JSON wherever it is read.
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byName = <T extends { name: string }>(items: T[]): T[] => items.sort((a, b) => byText(a.name, b.name));
const bySchemaName = <T extends { schema: string; name: string }>(items: T[]): T[] => items.sort((a, b) => byText(a.schema, b.schema) || byText(a.name, b.name));

interface RelationRow {
  schema: string;
  name: string;
}

function ignoring(ignoreTables: readonly string[]): (schema: string, name: string) => boolean {
  const names = new Set(ignoreTables);
  return (schema, name) => names.has(name) || names.has(`${schema}.${name}`);
}

/** Groups rows by `schema.relation`, each mapped to its value. */
function grouped<R extends RelationRow & { relation: string }, V>(rows: R[], map: (row: R) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const row of rows) {
    const key = `${row.schema}.${row.relation}`;
    const list = out.get(key) ?? [];
    list.push(map(row));
    out.set(key, list);
  }
  return out;
}

/**
 * Reads the live schema through `client`, which must not be inside a transaction: the catalog is
 * read in one read-only REPEATABLE READ transaction (one consistent snapshot), with an empty
 * search_path so every name PostgreSQL prints is schema-qualified (`public.users`,
 * `nextval('public.users_id_seq'::regclass)`) whatever the role's search_path is. Two databases
 * with the same schema therefore give equal values, and the same database gives the same JSON.
 */
export async function readPostgresSchema(client: SchemaQueryable, options: ReadSchemaOptions = {}): Promise<DatabaseSchema> {
  const ignored = ignoring(options.ignoreTables ?? DEFAULT_IGNORED_TABLES);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`SELECT pg_catalog.set_config('search_path', '', true)`);
    const relations = (await client.query<RelationRow & { relkind: string; definition: string | null }>(RELATIONS_SQL)).rows;
    const columns = (await client.query<RelationRow & { relation: string; type: string; nullable: boolean; default: string | null; identity: string; generated: string }>(COLUMNS_SQL)).rows;
    const constraints = (await client.query<RelationRow & { relation: string; type: string; definition: string }>(CONSTRAINTS_SQL)).rows;
    const indexes = (await client.query<RelationRow & { relation: string; definition: string }>(INDEXES_SQL)).rows;
    const enums = (await client.query<RelationRow & { labels: string[] }>(ENUMS_SQL)).rows;
    const sequences = (await client.query<
      RelationRow & { type: string; start: string; increment: string; min: string; max: string; cache: string; cycle: boolean; owner_schema: string | null; owner_table: string | null; owner_column: string | null }
    >(SEQUENCES_SQL)).rows;
    await client.query('COMMIT');

    const columnsOf = grouped(columns, (c): SchemaColumn => ({
      name: c.name,
      type: c.type,
      nullable: c.nullable,
      default: c.default,
      identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by-default' : null,
      generated: c.generated === 's' ? 'stored' : null,
    }));
    const constraintsOf = grouped(constraints, (c): SchemaConstraint => ({ name: c.name, type: CONSTRAINT_TYPES[c.type]!, definition: c.definition }));
    const indexesOf = grouped(indexes, (i): SchemaIndex => ({ name: i.name, definition: i.definition }));

    const tables: SchemaTable[] = [];
    const views: SchemaView[] = [];
    for (const r of relations) {
      const key = `${r.schema}.${r.name}`;
      if (r.relkind === 'v' || r.relkind === 'm') {
        views.push({ schema: r.schema, name: r.name, materialized: r.relkind === 'm', definition: r.definition ?? '', indexes: byName(indexesOf.get(key) ?? []) });
      } else if (!ignored(r.schema, r.name)) {
        tables.push({ schema: r.schema, name: r.name, columns: byName(columnsOf.get(key) ?? []), constraints: byName(constraintsOf.get(key) ?? []), indexes: byName(indexesOf.get(key) ?? []) });
      }
    }

    return {
      version: 1,
      engine: 'postgres',
      tables: bySchemaName(tables),
      views: bySchemaName(views),
      enums: bySchemaName(enums.map((e): SchemaEnum => ({ schema: e.schema, name: e.name, labels: e.labels }))),
      sequences: bySchemaName(
        sequences
          // A serial column of an ignored table (knex_migrations.id) takes its sequence with it.
          .filter((s) => !(s.owner_schema && s.owner_table && ignored(s.owner_schema, s.owner_table)))
          .map(
            (s): SchemaSequence => ({
              schema: s.schema,
              name: s.name,
              type: s.type,
              start: s.start,
              increment: s.increment,
              min: s.min,
              max: s.max,
              cache: s.cache,
              cycle: s.cycle,
              ownedBy: s.owner_column ? `${s.owner_schema}.${s.owner_table}.${s.owner_column}` : null,
            }),
          ),
      ),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** `host:port/database` of a URL, for messages: never the user or password. */
export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** Opens a `pg` client on `url`; REWIND_E_DB_UNREACHABLE (redacted, naming host, port and database) if it cannot. */
export async function connectPostgres(url: string): Promise<pg.Client> {
  // Loaded on first use, as the engine does: commands that never touch PostgreSQL do not pay for `pg`.
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'rewind' });
  // A server-side disconnect would otherwise be an unhandled 'error' event; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const where = describePostgresUrl(url);
    throw new RewindError('REWIND_E_DB_UNREACHABLE', redactor.redact(`cannot connect to PostgreSQL at ${where}: ${(error as Error).message}`), { engine: 'postgres', where });
  }
  return client;
}

/** Connects to `url`, reads its schema, disconnects. */
export async function readPostgresSchemaAt(url: string, options: ReadSchemaOptions = {}): Promise<DatabaseSchema> {
  const client = await connectPostgres(url);
  try {
    return await readPostgresSchema(client, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

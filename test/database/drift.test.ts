import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IGNORED_TABLES, readPostgresSchema, readPostgresSchemaAt } from '../../src/adapters/databases/postgres/postgres-schema-reader.js';
import { replayPostgresMigrations } from '../../src/adapters/databases/postgres/postgres-scratch-replay.js';
import { SCRATCH_DATABASE_PREFIX } from '../../src/adapters/databases/scratch-database-name.js';
import { assertNoSchemaDrift, diffSchemas, renderSchemaDiff } from '../../src/core/database/schema-diff.js';
import type { RewindError } from '../../src/errors/rewind-error.js';
import { listMigrationFiles } from '../../src/migrations/migration-files.js';
import type { MigrationFile } from '../../src/migrations/migration-history.js';
import { POSTGRES_ADMIN_URL as ADMIN, postgresUrl } from '../support/services.js';

// Drift detection on the real PostgreSQL: every database here is created by this file under a
// random name and dropped in teardown; the scratch databases must drop themselves.

const urlFor = (database: string): string => postgresUrl(database);

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const created: string[] = [];
async function createDatabase(label: string): Promise<string> {
  const name = `rewind_drift_${label}_${randomBytes(4).toString('hex')}`;
  await withClient(ADMIN, (c) => c.query(`CREATE DATABASE "${name}"`));
  created.push(name);
  return name;
}

async function databaseExists(name: string): Promise<boolean> {
  return withClient(ADMIN, async (c) => (await c.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [name])).rowCount === 1);
}

// Prisma layout: <dir>/<id>/migration.sql. Between them they touch every kind of object the reader knows.
const MIGRATIONS: Record<string, string> = {
  '20260101000000_init': `
    CREATE TYPE user_status AS ENUM ('active', 'banned');
    CREATE TABLE users (
      id serial PRIMARY KEY,
      email text NOT NULL UNIQUE,
      status user_status NOT NULL DEFAULT 'active',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX users_created_at_idx ON users (created_at);`,
  '20260102000000_posts': `
    CREATE TABLE posts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      title varchar(200) NOT NULL CHECK (length(title) > 0),
      slug text GENERATED ALWAYS AS (lower(title)) STORED,
      body text
    );
    CREATE INDEX posts_user_id_idx ON posts (user_id) WHERE body IS NOT NULL;
    CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';`,
  '20260103000000_billing': `
    ALTER TYPE user_status ADD VALUE 'pending' BEFORE 'banned';
    CREATE SCHEMA billing;
    CREATE SEQUENCE billing.invoice_no START 1000 INCREMENT 5;
    CREATE TABLE billing.invoices (
      no integer NOT NULL DEFAULT nextval('billing.invoice_no') PRIMARY KEY,
      user_id integer REFERENCES users(id),
      total numeric(12,2) NOT NULL DEFAULT 0
    );
    CREATE MATERIALIZED VIEW billing.totals AS SELECT user_id, sum(total) AS total FROM billing.invoices GROUP BY user_id;
    CREATE UNIQUE INDEX totals_user_idx ON billing.totals (user_id);`,
};

// What prisma migrate deploy and knex leave beside the schema: history tables, ignored by default.
const TOOL_TABLES = `
  CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, migration_name varchar(255) NOT NULL, finished_at timestamptz, rolled_back_at timestamptz, checksum varchar(64) NOT NULL);
  CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz);`;

function writeMigrations(root: string, migrations: Record<string, string>): string {
  const dir = join(root, `migrations-${randomBytes(3).toString('hex')}`);
  for (const [id, sql] of Object.entries(migrations)) {
    mkdirSync(join(dir, id), { recursive: true });
    writeFileSync(join(dir, id, 'migration.sql'), sql);
  }
  return dir;
}

/** The live database: the same migrations applied the way a tool would, one transaction each, plus its history tables. */
async function buildLive(label: string, files: readonly MigrationFile[]): Promise<string> {
  const database = await createDatabase(label);
  await withClient(urlFor(database), async (client) => {
    for (const file of files) {
      await client.query('BEGIN');
      await client.query(readFileSync(file.upPath, 'utf8'));
      await client.query('COMMIT');
    }
    await client.query(TOOL_TABLES);
    await client.query(`INSERT INTO knex_migrations (name, batch) VALUES ('x', 1)`);
  });
  return database;
}

describe('schema drift on PostgreSQL', () => {
  let work: string;
  let files: MigrationFile[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rewind-drift-'));
    files = await listMigrationFiles('prisma', writeMigrations(work, MIGRATIONS));
    expect(files.map((f) => f.id)).toEqual(Object.keys(MIGRATIONS));
  });

  afterAll(async () => {
    for (const name of created) await withClient(ADMIN, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    rmSync(work, { recursive: true, force: true });
  });

  it('reads the same schema as the same JSON every time, fully qualified, history tables left out', async () => {
    const database = await buildLive('read', files);
    const first = await readPostgresSchemaAt(urlFor(database));
    // A second read on a session with another search_path must not change a single character.
    const second = await withClient(urlFor(database), async (client) => {
      await client.query('SET search_path = billing, public');
      return readPostgresSchema(client);
    });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);

    expect(first.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['billing.invoices', 'public.posts', 'public.users']);
    const users = first.tables.find((t) => t.name === 'users')!;
    expect(users.columns.map((c) => c.name)).toEqual(['created_at', 'email', 'id', 'status']);
    expect(users.columns.find((c) => c.name === 'id')).toEqual({ name: 'id', type: 'integer', nullable: false, default: "nextval('public.users_id_seq'::regclass)", identity: null, generated: null });
    expect(users.columns.find((c) => c.name === 'status')).toMatchObject({ type: 'public.user_status', default: "'active'::public.user_status" });
    expect(users.constraints).toEqual([
      { name: 'users_email_key', type: 'unique', definition: 'UNIQUE (email)' },
      { name: 'users_pkey', type: 'primary-key', definition: 'PRIMARY KEY (id)' },
    ]);
    // The unique and primary key indexes are their constraints; only the plain index is listed.
    expect(users.indexes).toEqual([{ name: 'users_created_at_idx', definition: 'CREATE INDEX users_created_at_idx ON public.users USING btree (created_at)' }]);

    const posts = first.tables.find((t) => t.name === 'posts')!;
    expect(posts.columns.find((c) => c.name === 'id')).toMatchObject({ type: 'bigint', identity: 'always' });
    expect(posts.columns.find((c) => c.name === 'slug')).toMatchObject({ generated: 'stored', default: 'lower((title)::text)' });
    expect(posts.constraints.map((c) => [c.type, c.definition])).toEqual([
      ['primary-key', 'PRIMARY KEY (id)'],
      ['check', 'CHECK ((length((title)::text) > 0))'],
      ['foreign-key', 'FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE'],
    ]);
    expect(posts.indexes[0]!.definition).toBe('CREATE INDEX posts_user_id_idx ON public.posts USING btree (user_id) WHERE (body IS NOT NULL)');

    expect(first.enums).toEqual([{ schema: 'public', name: 'user_status', labels: ['active', 'pending', 'banned'] }]);
    // posts.id's identity sequence is the column's business; knex_migrations_id_seq went with its table.
    expect(first.sequences.map((s) => [`${s.schema}.${s.name}`, s.start, s.increment, s.ownedBy])).toEqual([
      ['billing.invoice_no', '1000', '5', null],
      ['public.users_id_seq', '1', '1', 'public.users.id'],
    ]);
    expect(first.views.map((v) => [`${v.schema}.${v.name}`, v.materialized, v.indexes.map((i) => i.name)])).toEqual([
      ['billing.totals', true, ['totals_user_idx']],
      ['public.active_users', false, []],
    ]);
    expect(first.views[1]!.definition).toContain('FROM public.users');

    const everything = await readPostgresSchemaAt(urlFor(database), { ignoreTables: [] });
    expect(everything.tables.map((t) => t.name)).toEqual(['invoices', '_prisma_migrations', 'knex_migrations', 'posts', 'users']);
    expect(everything.sequences.map((s) => s.name)).toContain('knex_migrations_id_seq');
    const extended = await readPostgresSchemaAt(urlFor(database), { ignoreTables: [...DEFAULT_IGNORED_TABLES, 'billing.invoices'] });
    expect(extended.tables.map((t) => t.name)).toEqual(['posts', 'users']);
  });

  it('finds no drift between a database its migrations built and the scratch replay of them, and drops the scratch', async () => {
    const database = await buildLive('same', files);
    let scratch = '';
    const replay = await replayPostgresMigrations({ url: urlFor(database), migrations: files, onCreated: (name) => (scratch = name) });
    expect(replay.database).toBe(scratch);
    expect(scratch.startsWith(SCRATCH_DATABASE_PREFIX)).toBe(true);
    expect(await databaseExists(scratch)).toBe(false);

    const live = await readPostgresSchemaAt(urlFor(database));
    expect(diffSchemas(replay.schema, live)).toEqual([]);
    expect(JSON.stringify(replay.schema)).toBe(JSON.stringify(live));
    expect(replay.schema.tables).toHaveLength(3);
    expect(() => assertNoSchemaDrift(diffSchemas(replay.schema, live), database)).not.toThrow();
  });

  it('names exactly the changes made by hand, readably', async () => {
    const database = await buildLive('hand', files);
    await withClient(urlFor(database), (client) =>
      client.query(`
        ALTER TABLE users ADD COLUMN nickname varchar(40);
        DROP INDEX users_created_at_idx;
        ALTER TABLE users ALTER COLUMN status SET DEFAULT 'pending';
        CREATE TABLE audit_log (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text);`),
    );
    const { schema: expected } = await replayPostgresMigrations({ url: urlFor(database), migrations: files });
    const diff = diffSchemas(expected, await readPostgresSchemaAt(urlFor(database)));

    expect(diff.map((d) => `${d.kind} ${d.object} ${d.name}`)).toEqual([
      'unexpected table public.audit_log',
      'unexpected column public.users.nickname',
      'changed column public.users.status',
      'missing index public.users.users_created_at_idx',
    ]);
    expect(renderSchemaDiff(diff).split('\n')).toEqual([
      '+ table public.audit_log (at timestamp with time zone NOT NULL DEFAULT now(), id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, note text)',
      '+ column public.users.nickname character varying(40)',
      "~ column public.users.status: expected public.user_status NOT NULL DEFAULT 'active'::public.user_status, found public.user_status NOT NULL DEFAULT 'pending'::public.user_status",
      '- index public.users.users_created_at_idx CREATE INDEX users_created_at_idx ON public.users USING btree (created_at)',
    ]);
    expect(() => assertNoSchemaDrift(diff, database)).toThrow(expect.objectContaining({ code: 'REWIND_E_DRIFT' }));
  });

  it('reports a failing migration as REWIND_E_REPLAY_FAILED naming the file and line, and leaves no scratch database', async () => {
    const dir = writeMigrations(work, {
      '20260101000000_ok': 'CREATE TABLE a (id int PRIMARY KEY);',
      '20260102000000_broken': 'ALTER TABLE a ADD COLUMN note text;\n-- PostgreSQL gives no position for this error: rewind finds the statement\nALTER TABLE missing_table ADD COLUMN x int;\n',
      '20260103000000_never': 'CREATE TABLE never_reached (id int);',
    });
    const broken = await listMigrationFiles('prisma', dir);
    let scratch = '';
    const error = (await replayPostgresMigrations({ url: ADMIN, migrations: broken, onCreated: (name) => (scratch = name) }).catch((e: unknown) => e)) as RewindError;
    expect(error.code).toBe('REWIND_E_REPLAY_FAILED');
    expect(error.message).toContain(`migration 20260102000000_broken (${broken[1]!.upPath}, line 3) failed in the scratch replay`);
    expect(error.message).toContain('relation "missing_table" does not exist');
    expect(error.details).toMatchObject({ migration: '20260102000000_broken', path: broken[1]!.upPath, line: 3, sqlState: '42P01', database: scratch });
    expect(scratch).not.toBe('');
    expect(await databaseExists(scratch)).toBe(false);

    // A syntax error carries PostgreSQL's own position.
    const syntax = await listMigrationFiles('prisma', writeMigrations(work, { '1_bad': 'CREATE TABLE b (id int);\nCREATE TABLE c (id int,, x int);' }));
    const syntaxError = (await replayPostgresMigrations({ url: ADMIN, migrations: syntax, onCreated: (name) => (scratch = name) }).catch((e: unknown) => e)) as RewindError;
    expect(syntaxError.message).toContain(`migration 1_bad (${syntax[0]!.upPath}, line 2) failed in the scratch replay: syntax error at or near ","`);
    expect(await databaseExists(scratch)).toBe(false);

    // A file that cannot be read is the same coded error, and the scratch goes too.
    const unreadable = (await replayPostgresMigrations({ url: ADMIN, migrations: [{ id: 'gone', upPath: join(dir, 'gone', 'migration.sql') }], onCreated: (name) => (scratch = name) }).catch(
      (e: unknown) => e,
    )) as RewindError;
    expect(unreadable.code).toBe('REWIND_E_REPLAY_FAILED');
    expect(unreadable.message).toContain('cannot read migration gone');
    expect(await databaseExists(scratch)).toBe(false);
  });
});

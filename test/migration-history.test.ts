import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../src/adapters/databases/postgres/postgres-engine.js';
import { SqliteEngine } from '../src/adapters/databases/sqlite/sqlite-engine.js';
import { postgresDatabaseSchema, sqliteDatabaseSchema } from '../src/config/config-schema.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import { readHistory } from '../src/migrations/history-readers.js';
import { listMigrationFiles } from '../src/migrations/migration-files.js';
import type { MigrationHistory, MigrationTool } from '../src/migrations/migration-history.js';
import type { DatabaseEngine } from '../src/ports/database-engine.js';
import { pendingMigrations, unknownApplied } from '../src/migrations/pending-migrations.js';
import { POSTGRES_ADMIN_URL as ADMIN, postgresUrl } from './support/services.js';


// The history tables exactly as each tool creates them on PostgreSQL, with two applied migrations each
// (plus the failure markers the deploy must stop on), and Laravel's `migrations` as a decoy for TypeORM's.
const SCHEMA = `
CREATE TABLE "_prisma_migrations" (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
  migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  applied_steps_count INTEGER NOT NULL DEFAULT 0);
INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES
  ('a', 'c1', now(), '20240101000000_init', 1), ('b', 'c2', now(), '20240201000000_add_role', 1);
CREATE TABLE knex_migrations (id SERIAL PRIMARY KEY, name VARCHAR(255), batch INTEGER, migration_time TIMESTAMPTZ);
INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101_init.js', 1, now()), ('20240201_role.js', 2, now());
CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL, run_on TIMESTAMP NOT NULL);
INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_init', now()), ('1700000000001_role', now());
CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL);
INSERT INTO schema_migrations VALUES (2, false);
CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
  type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,
  installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INT NOT NULL, success BOOLEAN NOT NULL);
INSERT INTO flyway_schema_history VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'ci', now(), 5, true),
  (2, '1.1', 'role', 'SQL', 'V1_1__role.sql', 2, 'ci', now(), 5, true), (3, NULL, 'views', 'SQL', 'R__views.sql', 3, 'ci', now(), 1, true);
CREATE SCHEMA drizzle;
CREATE TABLE drizzle."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash TEXT NOT NULL, created_at BIGINT);
INSERT INTO drizzle."__drizzle_migrations" (hash, created_at) VALUES ('h1', 1700000000000), ('h2', 1700000100000);
CREATE TABLE migrations (id SERIAL PRIMARY KEY, "timestamp" BIGINT NOT NULL, name VARCHAR NOT NULL);
INSERT INTO migrations ("timestamp", name) VALUES (1700000000000, 'Init1700000000000'), (1700000100000, 'Role1700000100000');
CREATE SCHEMA laravel;
CREATE TABLE laravel.migrations (id SERIAL PRIMARY KEY, migration VARCHAR(255) NOT NULL, batch INT NOT NULL);
INSERT INTO laravel.migrations (migration, batch) VALUES ('2014_10_12_000000_create_users_table', 1);
`;

/** Three migrations per tool on disk, the first two of which the database has applied. */
async function layouts(root: string): Promise<Record<MigrationTool, string>> {
  const put = async (path: string, text = 'SELECT 1;\n') => {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
  };
  const dirs = {} as Record<MigrationTool, string>;
  dirs.prisma = join(root, 'prisma', 'migrations');
  for (const n of ['20240101000000_init', '20240201000000_add_role', '20240301000000_drop_legacy']) await put(join(dirs.prisma, n, 'migration.sql'));
  await put(join(dirs.prisma, '20240301000000_drop_legacy', 'down.sql'));
  await put(join(dirs.prisma, 'migration_lock.toml'), 'provider = "postgresql"\n');
  dirs.knex = join(root, 'knex');
  for (const n of ['20240101_init.js', '20240201_role.js', '20240301_more.js']) await put(join(dirs.knex, n));
  dirs['node-pg-migrate'] = join(root, 'npm');
  for (const n of ['1700000000000_init.js', '1700000000001_role.sql', '1700000000002_more.js']) await put(join(dirs['node-pg-migrate'], n));
  dirs['golang-migrate'] = join(root, 'golang');
  for (const n of ['1_init', '2_role', '10_more']) {
    await put(join(dirs['golang-migrate'], `${n}.up.sql`));
    await put(join(dirs['golang-migrate'], `${n}.down.sql`));
  }
  dirs.flyway = join(root, 'flyway');
  for (const n of ['V1__init.sql', 'V1_1__role.sql', 'V1_10__more.sql', 'U1_10__more.sql', 'R__views.sql']) await put(join(dirs.flyway, n));
  dirs.drizzle = join(root, 'drizzle');
  await put(
    join(dirs.drizzle, 'meta', '_journal.json'),
    JSON.stringify({ entries: [{ idx: 0, when: 1700000000000, tag: '0000_init' }, { idx: 1, when: 1700000100000, tag: '0001_role' }, { idx: 2, when: 1700000200000, tag: '0002_more' }] }),
  );
  for (const n of ['0000_init', '0001_role', '0002_more']) await put(join(dirs.drizzle, `${n}.sql`));
  dirs.typeorm = join(root, 'typeorm');
  for (const n of ['1700000000000-Init.ts', '1700000100000-Role.ts', '1700000200000-More.ts']) await put(join(dirs.typeorm, n));
  return dirs;
}

const EXPECTED_PENDING: Record<MigrationTool, string[]> = {
  prisma: ['20240301000000_drop_legacy'],
  knex: ['20240301_more.js'],
  'node-pg-migrate': ['1700000000002_more'],
  'golang-migrate': ['10'],
  flyway: ['1.10'],
  drizzle: ['1700000200000'],
  typeorm: ['1700000200000'],
};

/**
 * The history tables as a deploy reads them: every known table the engine's snapshot finds (in any
 * schema), each given to the readers, which tell the tools apart by columns (as readToolHistory does).
 */
async function readHistories(engine: DatabaseEngine): Promise<MigrationHistory[]> {
  try {
    const { migrationState } = await engine.snapshot([]);
    return migrationState.flatMap((table) => readHistory({ name: table.name.split('.').at(-1)!, columns: table.columns, rows: table.rows }) ?? []);
  } finally {
    await engine.close();
  }
}

describe('migration history on a real PostgreSQL', () => {
  const database = `rewind_mig_${randomBytes(4).toString('hex')}`;
  const engine = () => new PostgresEngine(postgresDatabaseSchema.parse({ engine: 'postgres', url: `postgres://root@127.0.0.1:5432/${database}` }), new ProcessExecutor());
  let client: pg.Client;
  let root: string;
  let histories: MigrationHistory[];

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    client = new pg.Client({ connectionString: postgresUrl(database) });
    await client.connect();
    await client.query(SCHEMA);
    root = await mkdtemp(join(tmpdir(), 'rewind-mig-'));
    histories = await readHistories(engine());
  });
  afterAll(async () => {
    await client?.end();
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    await rm(root, { recursive: true, force: true });
  });

  it('detects every tool by its table and columns, and not Laravel by name alone', () => {
    expect(histories.map((h) => h.tool).sort()).toEqual(['drizzle', 'flyway', 'golang-migrate', 'knex', 'node-pg-migrate', 'prisma', 'typeorm']);
    expect(histories.every((h) => h.blockers.length === 0)).toBe(true);
  });

  it('computes pending migrations (on disk, not applied) for each tool', async () => {
    const dirs = await layouts(root);
    for (const history of histories) {
      const files = await listMigrationFiles(history.tool, dirs[history.tool]);
      expect(pendingMigrations(history, files).map((f) => f.id), history.tool).toEqual(EXPECTED_PENDING[history.tool]);
      expect(unknownApplied(history, files), history.tool).toEqual([]);
    }
    const prisma = await listMigrationFiles('prisma', dirs.prisma);
    expect(prisma.at(-1)?.downPath).toMatch(/down\.sql$/);
    const flyway = await listMigrationFiles('flyway', dirs.flyway);
    expect(flyway.map((f) => f.id)).toEqual(['1', '1.1', '1.10']);
    expect(flyway.at(-1)?.downPath).toMatch(/U1_10__more\.sql$/);
  });

  it('turns a failed Prisma migration and a dirty golang-migrate version into deploy blockers', async () => {
    await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, applied_steps_count) VALUES ('c', 'c3', '20240301000000_drop_legacy', 0)`);
    await client.query(`UPDATE schema_migrations SET dirty = true`);
    await client.query(`INSERT INTO flyway_schema_history VALUES (4, '1.10', 'more', 'SQL', 'V1_10__more.sql', 4, 'ci', now(), 5, false)`);
    const again = await readHistories(engine());
    const byTool = Object.fromEntries(again.map((h) => [h.tool, h]));
    expect(byTool.prisma!.blockers).toEqual([expect.stringContaining('prisma migration 20240301000000_drop_legacy failed')]);
    expect(byTool['golang-migrate']!.blockers).toEqual([expect.stringContaining('version 2 is dirty')]);
    expect(byTool.flyway!.blockers).toEqual([expect.stringContaining('flyway migration 1.10 (V1_10__more.sql) failed')]);
    // A failed migration is not applied: it stays pending.
    const dirs = await layouts(root);
    expect(pendingMigrations(byTool.prisma!, await listMigrationFiles('prisma', dirs.prisma)).map((f) => f.id)).toEqual(['20240301000000_drop_legacy']);
  });
});

describe('migration history on SQLite (apps that run on SQLite in production)', () => {
  it('reads a Prisma history table through the sqlite catalog', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rewind-mig-'));
    const db = new Database(join(root, 'app.db'));
    db.exec(`CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
      "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
      "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0);
      INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('a', 'x', 1704067200000, '20240101000000_init');`);
    const [history] = await readHistories(new SqliteEngine(sqliteDatabaseSchema.parse({ engine: 'sqlite', path: join(root, 'app.db') })));
    expect(history).toMatchObject({ tool: 'prisma', applied: [{ id: '20240101000000_init', state: 'applied', appliedAt: '2024-01-01T00:00:00.000Z' }], blockers: [] });
    db.close();
    await rm(root, { recursive: true, force: true });
  });
});

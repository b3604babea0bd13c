import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { MysqlEngine } from '../../src/adapters/databases/mysql/mysql-engine.js';
import { mysqlDatabaseSchema } from '../../src/config/config-schema.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { databaseEngineContract } from '../contracts/database-engine-contract.js';
import { mysqlUrl } from '../support/services.js';

// The contract on a real MariaDB / MySQL: a database of its own per run, dropped afterwards.
const database = `rewind_dbc_${randomBytes(5).toString('hex')}`;

const urlFor = (db: string, overrides: { port?: string; password?: string } = {}): string => mysqlUrl(db, overrides);

async function withConnection<T>(url: string, work: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const u = new URL(url);
  const connection = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1) || undefined,
  });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

databaseEngineContract({
  name: 'mysql (MariaDB), gzip',
  provider: 'mysql',
  create: () => withConnection(urlFor(''), (c) => c.query(`CREATE DATABASE ${database}`)).then(() => undefined),
  drop: () => withConnection(urlFor(''), (c) => c.query(`DROP DATABASE IF EXISTS ${database}`)).then(() => undefined),
  engine: (overrides = {}) => {
    const url = urlFor(database, { port: overrides.unreachable ? '1' : undefined, password: overrides.password });
    // As adapters/registry.ts wires it: the password by reference, read when a tool starts.
    return new MysqlEngine(mysqlDatabaseSchema.parse({ engine: 'mysql', url }), new ProcessExecutor({ resolve: () => decodeURIComponent(new URL(url).password) }), {
      passwordRef: { secret: 'environments.test.database.url#password' },
    });
  },
  exec: (statements) =>
    withConnection(urlFor(database), async (c) => {
      for (const statement of statements) await c.query(statement);
    }),
  query: (sql) => withConnection(urlFor(database), async (c) => (await c.query(sql))[0] as Record<string, unknown>[]),
  databaseExists: (name) => withConnection(urlFor(''), async (c) => ((await c.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [name]))[0] as unknown[]).length === 1),
});

// The scratch restore's traps on MariaDB: a `--databases` dump names the live database (DROP/CREATE
// DATABASE, two USE lines when there are views, the view block's DROP VIEW), and its events could
// fire in a scratch database and write to the live one. None of it may reach the live database.
describe('restoreIntoScratch on MariaDB: views, triggers, routines and events stay on the live database', () => {
  const live = `rewind_scr_${randomBytes(5).toString('hex')}`;
  let work: string;
  const engine = () => new MysqlEngine(mysqlDatabaseSchema.parse({ engine: 'mysql', url: urlFor(live) }), new ProcessExecutor());
  const onLive = (sql: string, values: unknown[] = []) => withConnection(urlFor(live), async (c) => (await c.query(sql, values))[0] as Record<string, unknown>[]);
  const objects = async () => ({
    tables: (await onLive('SELECT table_name AS n, table_type AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [live])),
    routines: (await onLive('SELECT routine_name AS n FROM information_schema.routines WHERE routine_schema = ?', [live])),
    triggers: (await onLive('SELECT trigger_name AS n FROM information_schema.triggers WHERE trigger_schema = ?', [live])),
    events: (await onLive('SELECT event_name AS n, status AS s FROM information_schema.events WHERE event_schema = ?', [live])),
    users: await onLive('SELECT id, email FROM users ORDER BY id'),
    view: await onLive('SELECT view_definition AS d FROM information_schema.views WHERE table_schema = ?', [live]),
  });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rewind-mysql-scratch-'));
    await withConnection(urlFor(''), (c) => c.query(`CREATE DATABASE ${live}`));
    await withConnection(urlFor(live), async (c) => {
      await c.query('CREATE TABLE users (id int PRIMARY KEY, email text)');
      await c.query("INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b\\nUSE `x`;')");
      await c.query('CREATE TABLE audit (n int)');
      await c.query('CREATE VIEW v AS SELECT id FROM users');
      await c.query('CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW INSERT INTO audit VALUES (NEW.id)');
      await c.query('CREATE PROCEDURE touch_users() BEGIN UPDATE users SET email = email; END');
      await c.query(`CREATE EVENT wipe ON SCHEDULE EVERY 1 HOUR DISABLE DO DELETE FROM ${live}.users`);
      await c.query('CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, migration_name varchar(255))');
      await c.query("INSERT INTO _prisma_migrations VALUES ('m1', '20260101000000_users')");
    });
  });
  afterAll(async () => {
    await withConnection(urlFor(''), (c) => c.query(`DROP DATABASE IF EXISTS ${live}`));
    rmSync(work, { recursive: true, force: true });
  });

  it('restores into a scratch database and reads it; the live objects and rows are as they were; the scratch is gone', async () => {
    const critical = ['users', `${live}.audit`, 'elsewhere.users'];
    const { artifact, snapshot } = await engine().backup(join(work, 'b.sql.gz'), critical);
    // After the backup, live only: a row, and the view redefined (a restore that reached the live
    // database would put the old definition back: the dump drops and recreates its views).
    await onLive("INSERT INTO users VALUES (3, 'after@example.com')");
    await onLive('CREATE OR REPLACE VIEW v AS SELECT id, email FROM users');
    const before = await objects();
    expect(before.events).toEqual([{ n: 'wipe', s: 'DISABLED' }]);
    const scratch = await engine().restoreIntoScratch(artifact, critical);
    expect(scratch.scratch).toMatch(/^rewind_scratch_[0-9a-f]{16}$/);
    // The backup's own snapshot, read back from the scratch database (a table in another database is not in the dump).
    expect(snapshot.rowCounts).toEqual({ users: 2, [`${live}.audit`]: 0, 'elsewhere.users': null });
    expect({ ...scratch.rowCounts }).toEqual({ users: 2, [`${live}.audit`]: 0, 'elsewhere.users': null });
    expect(scratch.migrationState).toEqual(snapshot.migrationState);
    expect(scratch.migrationState.map((t) => t.name)).toEqual(['_prisma_migrations']);
    // The live database: same tables, view, routine, trigger, event, and the row written after the backup.
    expect(await objects()).toEqual(before);
    expect(before.users).toHaveLength(3);
    expect(String(before.view[0]!.d)).toContain('email');
    const exists = await withConnection(urlFor(''), async (c) => (await c.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?', ['rewind\\_scratch\\_%']))[0]);
    expect(exists).toEqual([]);
  });

  it('refuses a corrupted backup before creating anything', async () => {
    const { artifact } = await engine().backup(join(work, 'c.sql.gz'), []);
    await expect(engine().restoreIntoScratch({ ...artifact, sha256: '0'.repeat(64) }, [])).rejects.toMatchObject({ code: 'REWIND_E_BACKUP_CORRUPT' });
    const exists = await withConnection(urlFor(''), async (c) => (await c.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?', ['rewind\\_scratch\\_%']))[0]);
    expect(exists).toEqual([]);
  });
});

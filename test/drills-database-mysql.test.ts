import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';
import { mysqlUrl } from './support/services.js';

// `rewind drill --database` and `db restore` on real MariaDB, through the CLI (its bundle): the newest backup, a `--databases`
// dump that names the live database, restored into a scratch database beside it, checked and dropped.
describe('rewind drill --database on MariaDB', () => {
  const live = `rewind_drill_${randomBytes(5).toString('hex')}`;
  let sandbox: Sandbox;
  const sql = async (url: string, statement: string, values: unknown[] = []) => {
    const u = new URL(url);
    const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), database: u.pathname.slice(1) || undefined });
    try {
      return (await c.query(statement, values))[0] as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  const json = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;

  beforeAll(async () => {
    await sql(mysqlUrl(''), `CREATE DATABASE ${live}`);
    await sql(mysqlUrl(live), 'CREATE TABLE users (id int PRIMARY KEY, email text)');
    await sql(mysqlUrl(live), "INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com')");
    await sql(mysqlUrl(live), 'CREATE VIEW user_ids AS SELECT id FROM users');
    await sql(mysqlUrl(live), 'CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, migration_name varchar(255))');
    await sql(mysqlUrl(live), "INSERT INTO _prisma_migrations VALUES ('m1', '20260101000000_users')");
    sandbox = await createSandbox({
      databaseYaml: (root) => `    database:\n      engine: mysql\n      url: ${mysqlUrl(live)}\n      backupDir: ${join(root, 'backups')}\n      backupLog: ${join(root, 'ops', 'backups.log')}\n      criticalTables: [users]`,
    });
    const backup = await sandbox.cli(['db', 'backup', ENV]);
    expect(backup.code, backup.stderr).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await sql(mysqlUrl(''), `DROP DATABASE IF EXISTS ${live}`);
  });

  it('restores the newest backup into a scratch database, checks it, trusts it; the live database keeps what came after', async () => {
    await sql(mysqlUrl(live), "INSERT INTO users VALUES (3, 'after@example.com')");
    const newest = (await sandbox.ledger.listBackups(ENV))[0]!;
    expect(newest).toMatchObject({ engine: 'mysql', testRestore: null });
    const result = await sandbox.cli(['drill', ENV, '--database', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = json<{ ok: boolean; drill: { id: number; backupId: number; detail: { scratch: string } }; checks: { check: string; ok: boolean; detail: string }[] }>(result.stdout);
    expect(out.checks).toEqual([
      { check: 'migration table _prisma_migrations', ok: true, detail: '1 rows, newest 20260101000000_users, as recorded' },
      { check: 'rows of users', ok: true, detail: '2 rows, as recorded' },
    ]);
    expect(out.drill.backupId).toBe(newest.id);
    expect(out.drill.detail.scratch).toMatch(/^rewind_scratch_[0-9a-f]{16}$/);
    expect(await sql(mysqlUrl(''), 'SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?', [out.drill.detail.scratch])).toEqual([]);
    expect((await sandbox.ledger.getBackup(newest.id))?.testRestore).toMatchObject({ ok: true, drillId: out.drill.id });
    // The live database: three rows, its view still answering.
    expect(await sql(mysqlUrl(live), 'SELECT count(*) AS n FROM user_ids')).toEqual([{ n: 3 }]);
    const status = await sandbox.cli(['status', ENV]);
    expect(status.stdout).toMatch(new RegExp(`newest backup   #${newest.id} \\(\\w+, .*\\): test-restored at .*, ok`));
  }, 60_000);

  it('`db restore` through the CLI puts the backup back on the live database (the row written after it is gone, the view answers)', async () => {
    const backup = (await sandbox.ledger.listBackups(ENV)).find((b) => b.kind === 'manual')!;
    const restored = await sandbox.cli(['db', 'restore', ENV, '--backup', String(backup.id), '--yes', '--reason', 'drill follow-up']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await sql(mysqlUrl(live), 'SELECT id FROM users ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await sql(mysqlUrl(live), 'SELECT count(*) AS n FROM user_ids')).toEqual([{ n: 2 }]);
  }, 60_000);
});

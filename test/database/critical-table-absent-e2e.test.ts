import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from '../support/app-database.js';
import { createSandbox, ENV, type Sandbox } from '../support/sandbox.js';

// The first deploy onto an empty database, where `criticalTables` names a table the release's own
// migrations create: the pre-upgrade backup records it as absent and the deploy goes on; restoring
// that backup later makes the table absent again, and the verify step accepts exactly that.
// Real CLI, real PM2, real PostgreSQL.

const M1 = { 'prisma/migrations/20260101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n' };

describe('a critical table the first release creates (real CLI, PM2, PostgreSQL)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  const usersTable = async () => (await db.query(`SELECT to_regclass('users')::text AS t`))[0]!.t;

  beforeAll(async () => {
    db = await createAppDatabase('rewind_absent');
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root) });
    await sandbox.release('1.0.0', { files: M1 });
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('config check accepts the file, and the first deploy records the table as absent and goes on', async () => {
    expect((await sandbox.cli(['config', 'check'])).code).toBe(0);
    expect(await usersTable()).toBeNull();

    const result = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await usersTable()).toBe('users');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const [backup] = await sandbox.ledger.listBackups(ENV);
    expect(backup).toMatchObject({ kind: 'pre-upgrade', releaseVersion: null, rowCounts: { users: null } });
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.database?.preUpgradeBackupId).toBe(backup!.id);
    const deployed = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
    const step = (await sandbox.ledger.listSteps(deployed.id)).find((s) => s.stepId === 'db-backup');
    expect((step?.detail as { message: string }).message).toMatch(/critical table users not there yet \(recorded as absent\)$/);
  });

  it('restoring that backup makes the table absent again, and verify accepts it', async () => {
    await db.query(`INSERT INTO users (email) VALUES ('a@example.com')`);
    const backup = (await sandbox.ledger.listBackups(ENV)).find((b) => b.kind === 'pre-upgrade')!;
    const result = await sandbox.cli(['db', 'restore', ENV, '--backup', String(backup.id), '--yes', '--reason', 'back to empty']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await usersTable()).toBeNull();

    const restore = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(restore).toMatchObject({ kind: 'restore', state: 'succeeded' });
    const verify = (await sandbox.ledger.listSteps(restore.id)).find((s) => s.stepId === 'db-verify')!;
    expect(verify.state).toBe('succeeded');
    expect(verify.detail).toMatchObject({ message: `migration tables match backup #${backup.id}; row counts users absent`, rowCounts: { users: null } });
    // The safety backup taken just before the restore counted the row the app wrote.
    expect((await sandbox.ledger.listBackups(ENV)).find((b) => b.kind === 'safety')?.rowCounts).toEqual({ users: 1 });
  });
});

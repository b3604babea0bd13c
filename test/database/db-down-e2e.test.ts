import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../src/core/operations/deploy.js';
import { createAppDatabase, MIGRATE, prismaDatabaseYaml, type AppDatabase } from '../support/app-database.js';
import { createSandbox, ENV, type Sandbox } from '../support/sandbox.js';

// Seed 003: `migrate down` rolls back exactly one step, after reading its down logic; some downs drop
// columns and lose data. Real PostgreSQL, real PM2, the Prisma-style stand-in from test/fixtures.

const M0 = { 'prisma/migrations/20251201000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n' };
const M1 = {
  'prisma/migrations/20260101000000_nickname/migration.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
  'prisma/migrations/20260101000000_nickname/down.sql': 'ALTER TABLE users DROP COLUMN nickname;\n',
};
const M2 = {
  'prisma/migrations/20260201000000_plan/migration.sql': 'ALTER TABLE users ADD COLUMN plan text;\n',
  'prisma/migrations/20260201000000_plan/down.sql': 'ALTER TABLE users DROP COLUMN plan;\n',
};

describe('one-step down migrations (real PostgreSQL, real PM2)', () => {
  let db: AppDatabase;
  const query = (sql: string) => db.query(sql);
  const columns = async () => (await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name`)).map((r) => r.column_name as string);
  const applied = async () =>
    (await query('SELECT migration_name FROM _prisma_migrations WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL ORDER BY migration_name')).map((r) => r.migration_name as string);
  let sandbox: Sandbox;

  beforeAll(async () => {
    db = await createAppDatabase('rewind_down');
    await db.migrate(M0);
    const down = `
        down:
          - [psql, -X, -q, -v, ON_ERROR_STOP=1, -d, "${db.url}", -f, "{down_file}"]
          - ["${process.execPath}", "${MIGRATE}", --rolled-back, "{migration}"]`;
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root, down) });
    await sandbox.release('1.0.0', { files: { ...M0 } });
    await sandbox.release('1.1.0', { files: { ...M0, ...M1 } });
    await sandbox.release('1.2.0', { files: { ...M0, ...M1, ...M2 } });
    expect((await deploy(sandbox.services, ENV, '1.0.0')).error?.message).toBeUndefined();
    expect((await deploy(sandbox.services, ENV, '1.1.0')).error?.message).toBeUndefined();
    await query(`INSERT INTO users (email, nickname) VALUES ('a@example.com', 'ann')`);
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('shows the down SQL, its data-loss findings and the argv, and changes nothing without --yes', async () => {
    const dry = await sandbox.cli(['db', 'down', ENV, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('revert 20260101000000_nickname of 1.1.0');
    expect(dry.stdout).toContain('ALTER TABLE users DROP COLUMN nickname;');
    expect(dry.stdout).toMatch(/lint RW\d+ \((breaking|irreversible)\)/);
    expect(dry.stdout).toContain('data loss:');
    expect(dry.stdout).toContain('--rolled-back 20260101000000_nickname');
    const unconfirmed = await sandbox.cli(['db', 'down', ENV]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stdout).toContain('ALTER TABLE users DROP COLUMN nickname;');
    expect(unconfirmed.stderr).toContain('REWIND_E_CONFIRM_REQUIRED');
    expect(await columns()).toEqual(['email', 'id', 'nickname']);
    expect(await sandbox.ledger.listBackups(ENV)).toHaveLength(2); // the two pre-upgrade backups only
  });

  it('rollback --db down reverts the one migration since the LKG, then activates the LKG', async () => {
    const dry = await sandbox.cli(['rollback', ENV, '--db', 'down', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('ALTER TABLE users DROP COLUMN nickname;');
    const result = await sandbox.cli(['rollback', ENV, '--db', 'down', '--yes']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await columns()).toEqual(['email', 'id']);
    expect(await applied()).toEqual(['20251201000000_users']);
    expect((await query('SELECT email FROM users'))).toEqual([{ email: 'a@example.com' }]);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'succeeded' });
    expect((await sandbox.ledger.listSteps(rollback!.id)).map((s) => s.stepId)).toEqual(['rollback-start', 'prepare', 'db-safety-backup', 'db-down', 'activate', 'health', 'rollback-complete']);
    expect((await sandbox.ledger.listBackups(ENV)).find((b) => b.kind === 'safety')).toMatchObject({ releaseVersion: '1.1.0', rowCounts: { users: 1 } });
  });

  it('never chains: two migrations since the LKG make rollback --db down refuse, changing nothing', async () => {
    // 1.2.0 brings 1.1.0's migration again plus its own: two migrations since the LKG 1.0.0.
    expect((await deploy(sandbox.services, ENV, '1.2.0')).error?.message).toBeUndefined();
    expect(await columns()).toEqual(['email', 'id', 'nickname', 'plan']);
    const refused = await sandbox.cli(['rollback', ENV, '--db', 'down', '--yes']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('REWIND_E_ROLLBACK_UNSAFE');
    expect(refused.stderr).toContain('never chain');
    expect(await columns()).toEqual(['email', 'id', 'nickname', 'plan']);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
  });

  it('rewind db down reverts exactly the newest migration after a safety backup, and records it', async () => {
    const safetyBefore = (await sandbox.ledger.listBackups(ENV)).filter((b) => b.kind === 'safety').length;
    const result = await sandbox.cli(['db', 'down', ENV, '--yes', '--reason', 'plan column is wrong']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('✓ down migration reverted');
    expect(await columns()).toEqual(['email', 'id', 'nickname']);
    expect(await applied()).toEqual(['20251201000000_users', '20260101000000_nickname']);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
    const [operation] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(operation).toMatchObject({ kind: 'down', state: 'succeeded', reason: 'plan column is wrong' });
    expect((await sandbox.ledger.listSteps(operation!.id)).map((s) => [s.stepId, s.state])).toEqual([
      ['db-safety-backup', 'succeeded'],
      ['db-down', 'succeeded'],
    ]);
    expect((await sandbox.ledger.listBackups(ENV)).filter((b) => b.kind === 'safety')).toHaveLength(safetyBefore + 1);
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.database?.migrations.map((m) => m.id)).toEqual(['20260101000000_nickname']);
    // The reverted schema is now what 1.2.0 runs on: no drift.
    expect((await sandbox.cli(['db', 'drift', ENV, '--no-replay'])).code).toBe(0);
  });

  it('a failed Prisma migration (neither finished nor rolled back) stops the next deploy in preflight', async () => {
    await sandbox.release('1.3.0', { files: { ...M0, ...M1, ...M2 } });
    await query(`INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ('f0f0f0f0-0000-4000-8000-000000000000', 'x', '20260115000000_half_done', now())`);
    const outcome = await deploy(sandbox.services, ENV, '1.3.0');
    expect(outcome.error?.code).toBe('REWIND_E_PREFLIGHT_FAILED');
    expect(outcome.error?.details).toMatchObject({ step: 'migrations-check', cause: 'REWIND_E_MIGRATION_BLOCKED' });
    expect(outcome.error?.message).toContain('prisma migration 20260115000000_half_done failed');
    expect(outcome.error?.message).toContain('nothing changed');
    expect(await columns()).toEqual(['email', 'id', 'nickname']);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
    expect((await sandbox.ledger.getRelease(ENV, '1.3.0'))?.state).toBe('registered');
  });
});

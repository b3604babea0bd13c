import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../src/core/operations/deploy.js';
import { rollback } from '../../src/core/operations/rollback.js';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from '../support/app-database.js';
import { createSandbox, ENV, type Sandbox } from '../support/sandbox.js';

// End to end on the real PostgreSQL and real PM2 (seed 000, "Rollback Procedure (Migration Failure /
// Incompatible Schema)"): a release whose migration is breaking fails its health check, and the
// automatic rollback restores the pre-upgrade backup before the last known good code serves again.

// Applied before rewind was adopted (critical-table-absent-e2e covers a first release that creates the table).
const M0 = {
  'prisma/migrations/20251201000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, nickname text);\n',
};
const M1 = {
  ...M0,
  'prisma/migrations/20260101000000_projects/migration.sql': 'CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL);\n',
};
// Breaking for the previous release: it reads `nickname`. The down migration makes it deployable (seed 000 preflight 3).
const M2 = {
  'prisma/migrations/20260201000000_drop_nickname/migration.sql': 'ALTER TABLE users DROP COLUMN nickname;\nCREATE TABLE audit (id serial PRIMARY KEY, note text);\n',
  'prisma/migrations/20260201000000_drop_nickname/down.sql': 'DROP TABLE audit;\nALTER TABLE users ADD COLUMN nickname text;\n',
};
// Additive: the previous release ignores a new nullable column.
const M3 = { 'prisma/migrations/20260301000000_add_plan/migration.sql': 'ALTER TABLE users ADD COLUMN plan text;\n' };
// Breaking without a down migration.
const M4 = { 'prisma/migrations/20260401000000_rename/migration.sql': 'ALTER TABLE users RENAME COLUMN email TO mail;\n' };

describe('database-aware rollback on the real PostgreSQL (real PM2)', () => {
  let db: AppDatabase;
  const query = (sql: string) => db.query(sql);
  const migrationNames = async () => (await query('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name')).map((r) => r.migration_name as string);
  const columns = async () => (await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name`)).map((r) => r.column_name as string);
  let sandbox: Sandbox;
  // Every release carries all migrations up to its own, as a real repository does.
  const files = (...sets: Record<string, string>[]) => Object.assign({}, ...sets) as Record<string, string>;

  beforeAll(async () => {
    db = await createAppDatabase('rewind_e2e');
    await db.migrate(M0);
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root) });
    await sandbox.release('1.0.0', { files: files(M1) });
    await sandbox.release('2.0.0', { files: files(M1, M2), fault: { health: 'fail' } });
    await sandbox.release('2.1.0', { files: files(M1, M3) });
    await sandbox.release('3.0.0', { files: files(M1, M3, M4) });
    await sandbox.release('3.0.1', { files: files(M1, M3, M2) });
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('deploys 1.0.0: pre-upgrade backup, migration applied and recorded on the release', async () => {
    const outcome = await deploy(sandbox.services, ENV, '1.0.0');
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.plan.steps.map((s) => s.id)).toEqual(['record-running', 'disk-space', 'db-backup', 'prepare', 'migrations-check', 'migrate', 'activate', 'health', 'mark-good', 'prune']);
    expect(await migrationNames()).toEqual(['20251201000000_users', '20260101000000_projects']);
    const release = await sandbox.ledger.getRelease(ENV, '1.0.0');
    expect(release?.state).toBe('good');
    expect(release?.database).toMatchObject({ migrations: [{ id: '20260101000000_projects', hasDown: false }], verdict: 'additive' });
    expect(release?.database?.preUpgradeBackupId).toEqual(expect.any(Number));
    // The app of 1.0.0 writes users before the upgrade.
    await query(`INSERT INTO users (email, nickname) VALUES ('a@example.com', 'ann'), ('b@example.com', 'bob')`);
  });

  it('a breaking migration whose release fails its health check is undone by restoring the pre-upgrade backup', async () => {
    const outcome = await deploy(sandbox.services, ENV, '2.0.0');
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    const plan = outcome.rollback!.plan;
    expect(plan.database?.mode).toBe('restore');
    expect(plan.notes.join('\n')).toMatch(/database \(restore\): 2\.0\.0: .*RW1\d\d/);
    expect(plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'prepare', 'db-check-backup', 'stop-app', 'db-safety-backup', 'db-restore', 'db-verify', 'activate', 'health', 'rollback-complete']);
    expect(outcome.rollback!.ok).toBe(true);

    // Rows written before the upgrade are back, with the column the old code needs; the migration table matches.
    expect(await query('SELECT email, nickname FROM users ORDER BY id')).toEqual([
      { email: 'a@example.com', nickname: 'ann' },
      { email: 'b@example.com', nickname: 'bob' },
    ]);
    expect(await migrationNames()).toEqual(['20251201000000_users', '20260101000000_projects']);
    expect(await query(`SELECT to_regclass('audit') AS t`)).toEqual([{ t: null }]);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });

    // The journal says what happened, and the safety backup of the broken state exists.
    const steps = await sandbox.ledger.listSteps(outcome.rollback!.operation!.id);
    expect(steps.map((s) => [s.stepId, s.state])).toEqual(plan.steps.map((s) => [s.id, 'succeeded']));
    const backups = await sandbox.ledger.listBackups(ENV);
    expect(backups.map((b) => b.kind).sort()).toEqual(['pre-upgrade', 'pre-upgrade', 'safety']);
    const safety = backups.find((b) => b.kind === 'safety')!;
    expect(safety.releaseVersion).toBe('2.0.0');
    expect(safety.rowCounts).toEqual({ users: 2 });
    const log = (await readFile(join(sandbox.root, 'ops', 'backups.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => l.kind)).toEqual(['pre-upgrade', 'pre-upgrade', 'safety']);
    expect(log.every((l) => /^[0-9a-f]{64}$/.test(l.sha256))).toBe(true);
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
    expect((await sandbox.ledger.getRelease(ENV, '2.0.0'))?.state).toBe('failed');
  });

  it('an additive migration rolls back code only, leaving the schema as it is', async () => {
    expect((await deploy(sandbox.services, ENV, '2.1.0')).ok).toBe(true);
    expect(await columns()).toEqual(['email', 'id', 'nickname', 'plan']);
    const dry = await rollback(sandbox.services, ENV, { dryRun: true });
    expect(dry.plan.database?.mode).toBe('code-only');
    expect(dry.plan.steps.map((s) => s.kind)).not.toContain('db-restore');
    const outcome = await rollback(sandbox.services, ENV, {});
    expect(outcome.error?.message).toBeUndefined();
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await columns()).toEqual(['email', 'id', 'nickname', 'plan']);
    expect(await migrationNames()).toEqual(['20251201000000_users', '20260101000000_projects', '20260301000000_add_plan']);
  });

  it('refuses a breaking migration without a down migration in preflight, changing nothing', async () => {
    const before = await migrationNames();
    const backupsBefore = (await sandbox.ledger.listBackups(ENV)).length;
    const outcome = await deploy(sandbox.services, ENV, '3.0.0');
    // A preflight stop exits 6 whatever the step said; the step's own code is the cause.
    expect(outcome.error?.code).toBe('REWIND_E_PREFLIGHT_FAILED');
    expect(outcome.error?.exitCode).toBe(6);
    expect(outcome.error?.details).toMatchObject({ step: 'migrations-check', cause: 'REWIND_E_MIGRATION_UNSAFE' });
    expect(outcome.error?.message).toMatch(/nothing changed — at migrations-check \(cause REWIND_E_MIGRATION_UNSAFE\): pending migration 20260401000000_rename .*no down migration/);
    expect(await migrationNames()).toEqual(before);
    expect(await columns()).toContain('email');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    // The preflight backup was taken (it is part of preflight) and is recorded; nothing else moved.
    expect((await sandbox.ledger.listBackups(ENV)).length).toBe(backupsBefore + 1);
    expect((await sandbox.ledger.getRelease(ENV, '3.0.0'))?.state).toBe('registered');
  });

  it('refuses a corrupted pre-upgrade backup (one byte flipped) before anything is touched', async () => {
    expect((await deploy(sandbox.services, ENV, '3.0.1')).ok).toBe(true);
    expect(await columns()).not.toContain('nickname');
    const facts = (await sandbox.ledger.getRelease(ENV, '3.0.1'))!.database!;
    expect(facts.verdict).toBe('breaking');
    const backup = (await sandbox.ledger.getBackup(facts.preUpgradeBackupId!))!;
    const bytes = await readFile(backup.path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(backup.path, bytes);
    await query(`INSERT INTO users (email) VALUES ('c@example.com')`);

    const outcome = await rollback(sandbox.services, ENV, {});
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe('REWIND_E_PREFLIGHT_FAILED');
    expect(outcome.error?.details).toMatchObject({ step: 'db-check-backup', cause: 'REWIND_E_BACKUP_CORRUPT' });
    expect(outcome.error?.message).toMatch(/stopped before anything was touched at db-check-backup \(cause REWIND_E_BACKUP_CORRUPT\)/);
    // Still serving 3.0.1 on its schema, the new row is there, no safety backup was taken, the lock is free.
    expect(await sandbox.served()).toEqual({ status: 200, version: '3.0.1' });
    expect(await columns()).not.toContain('nickname');
    expect((await query('SELECT count(*)::int AS n FROM users'))[0]).toEqual({ n: 3 });
    expect((await sandbox.ledger.listBackups(ENV)).filter((b) => b.kind === 'safety')).toHaveLength(1);
    const steps = await sandbox.ledger.listSteps(outcome.operation!.id);
    expect(steps.map((s) => [s.stepId, s.state])).toEqual([
      ['rollback-start', 'succeeded'],
      ['prepare', 'succeeded'],
      ['db-check-backup', 'failed'],
    ]);
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  });

  it('--db skip rolls the code back without the database, and the audit log records it', async () => {
    const result = await sandbox.cli(['rollback', ENV, '--db', 'skip']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('REWIND_E_CONFIRM_REQUIRED');
    const ok = await sandbox.cli(['rollback', ENV, '--db', 'skip', '--yes', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await columns()).not.toContain('nickname');
    const events = await sandbox.ledger.listEvents(ENV, { limit: 50 });
    expect(events.find((e) => e.event === 'rollback_database_skipped')).toMatchObject({ actor: expect.any(String), fromVersion: '3.0.1', toVersion: '1.0.0' });
  });

  it('rewind db restore: refuses bad input and a corrupt backup, then restores a backup as seed 000 says', async () => {
    const usage = await sandbox.cli(['db', 'restore', ENV, '--backup', '12; DROP TABLE users']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('REWIND_E_USAGE');
    const unconfirmed = await sandbox.cli(['db', 'restore', ENV]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('REWIND_E_CONFIRM_REQUIRED');

    const corrupt = (await sandbox.ledger.getRelease(ENV, '3.0.1'))!.database!.preUpgradeBackupId!;
    const refused = await sandbox.cli(['db', 'restore', ENV, '--backup', String(corrupt), '--yes', '--json']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('error REWIND_E_PREFLIGHT_FAILED: restore stopped before anything was touched at db-check-backup (cause REWIND_E_BACKUP_CORRUPT)');
    expect(JSON.parse(refused.stdout.trim().split('\n').at(-1)!).error).toMatchObject({ code: 'REWIND_E_PREFLIGHT_FAILED', step: 'db-check-backup', cause: 'REWIND_E_BACKUP_CORRUPT', causeHint: expect.stringContaining(`(\`rewind db list ${ENV}\`)`) });
    expect((await query('SELECT count(*)::int AS n FROM users'))[0]).toEqual({ n: 3 });

    // The safety backup taken during the first rollback holds 2.0.0's broken state: put it back.
    const safety = (await sandbox.ledger.listBackups(ENV)).filter((b) => b.kind === 'safety').at(-1)!;
    const dry = await sandbox.cli(['db', 'restore', ENV, '--backup', String(safety.id), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`restore backup #${safety.id}`);
    expect(dry.stdout).toContain('pg_dump');
    expect(dry.stdout).toContain('(dry run: nothing was changed)');
    expect((await query('SELECT count(*)::int AS n FROM users'))[0]).toEqual({ n: 3 });

    const done = await sandbox.cli(['db', 'restore', ENV, '--backup', String(safety.id), '--yes', '--reason', 'drill']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/✓ restore of backup #\d+ succeeded/);
    expect((await query('SELECT count(*)::int AS n FROM users'))[0]).toEqual({ n: 2 });
    expect(await query(`SELECT to_regclass('audit')::text AS t`)).toEqual([{ t: 'audit' }]);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const restore = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(restore).toMatchObject({ kind: 'restore', state: 'succeeded', reason: 'drill' });
    expect((await sandbox.ledger.listSteps(restore.id)).map((s) => s.stepId)).toEqual(['db-check-backup', 'stop-app', 'db-safety-backup', 'db-restore', 'db-verify', 'activate', 'health']);
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('good');
  });

  it('rewind db drift: recorded schema and scratch replay, and a deploy refused in preflight on drift', async () => {
    // After the restore above, 1.0.0 runs on 2.0.0's broken schema: the restore recorded it, so only the replay disagrees.
    const recorded = await sandbox.cli(['db', 'drift', ENV, '--no-replay']);
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain('✓ against the schema recorded when 1.0.0 became current: no drift');
    const replay = await sandbox.cli(['db', 'drift', ENV]);
    expect(replay.code).toBe(11);
    expect(replay.stderr).toContain('REWIND_E_DRIFT');
    expect(replay.stdout).toContain('- column public.users.nickname');
    expect(replay.stdout).toContain('+ table public.audit');
    expect(await query(`SELECT datname FROM pg_database WHERE datname LIKE 'rewind_scratch_%'`)).toEqual([]);

    // A change by hand: drift against the recorded schema, and the next deploy stops before anything changes.
    await query('ALTER TABLE users ADD COLUMN hand_made integer');
    const json = await sandbox.cli(['db', 'drift', ENV, '--no-replay', '--json']);
    expect(json.code).toBe(11);
    const report = JSON.parse(json.stdout.split('\n')[0]!);
    expect(report.comparisons[0].differences).toEqual([expect.objectContaining({ kind: 'unexpected', object: 'column', name: 'public.users.hand_made' })]);
    const backups = (await sandbox.ledger.listBackups(ENV)).length;
    const outcome = await deploy(sandbox.services, ENV, '2.1.0');
    expect(outcome.error?.code).toBe('REWIND_E_PREFLIGHT_FAILED');
    expect(outcome.error?.details).toMatchObject({ step: 'drift-check', cause: 'REWIND_E_DRIFT' });
    expect(outcome.error?.message).toMatch(/before activation — nothing changed — at drift-check \(cause REWIND_E_DRIFT\)/);
    expect((await sandbox.ledger.listBackups(ENV)).length).toBe(backups);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDatabase } from '../src/core/database/database-backup.js';
import { runDatabaseDrill } from '../src/core/drills/database-drill.js';
import { runFailureDrill } from '../src/core/drills/failure-drill.js';
import { drillStanding } from '../src/core/drills/drill-age.js';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from './support/app-database.js';
import { createSandbox, ENV, runCli, type Sandbox } from './support/sandbox.js';

// The database drill (docs/drills.md) against real PostgreSQL: the newest backup restored into a
// scratch database on the same server (created, checked, dropped), never the live one; the result
// recorded on the backup, which status then trusts. Also the production refusal and status's warnings.
const MIGRATIONS = { 'prisma/migrations/20260101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text);\n' };

describe('rewind drill --database, production refusal, status warnings (real PostgreSQL)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;

  // With --json the drill's events stream as JSON lines first; its result is the last line.
  const json = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;

  beforeAll(async () => {
    db = await createAppDatabase('rewind_drill_db');
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root) });
    await db.migrate(MIGRATIONS);
    await db.query(`INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com')`);
    await backupDatabase(sandbox.services, ENV, { kind: 'manual', releaseVersion: null });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('status warns before any drill, and the newest backup is untrusted', async () => {
    const status = await sandbox.cli(['status', ENV]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`drill overdue   no rollback drill has passed on ${ENV}`);
    expect(status.stdout).toMatch(/newest backup   #\d+ \(manual, .*\): untrusted: never test-restored/);
  });

  it('a database drill restores the newest backup into a scratch database, checks it, and trusts it', async () => {
    const newest = (await sandbox.ledger.listBackups(ENV))[0]!;
    expect(newest.testRestore).toBeNull();
    const result = await sandbox.cli(['drill', ENV, '--database', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = json<{ ok: boolean; drill: { id: number; backupId: number; detail: { scratch: string } }; checks: { check: string; ok: boolean; detail: string }[] }>(result.stdout);
    expect(out.ok).toBe(true);
    expect(out.drill.backupId).toBe(newest.id);
    expect(out.checks).toEqual([
      { check: 'migration table _prisma_migrations', ok: true, detail: '1 rows, newest 20260101000000_users, as recorded' },
      { check: 'rows of users', ok: true, detail: '2 rows, as recorded' },
    ]);
    // The scratch database is gone, the live one untouched.
    expect(out.drill.detail.scratch).toMatch(/^rewind_scratch_/);
    expect(await db.query(`SELECT datname FROM pg_database WHERE datname = '${out.drill.detail.scratch}'`)).toEqual([]);
    expect((await sandbox.ledger.getBackup(newest.id))?.testRestore).toMatchObject({ ok: true, drillId: out.drill.id });

    const status = await sandbox.cli(['status', ENV]);
    expect(status.stdout).toMatch(new RegExp(`newest backup   #${newest.id} \\(\\w+, .*\\): test-restored at .*, ok`));
    expect(status.stdout).not.toContain('drill overdue');
  }, 30_000);

  it('a database drill that finds a mismatch fails, and the backup stays untrusted', async () => {
    // The backup says users had 2 rows; tamper with the record (as a backup that lost rows would look).
    const newest = (await sandbox.ledger.listBackups(ENV))[0]!;
    await sandbox.ledger.recordBackup({ ...newest, rowCounts: { users: 5 }, createdAt: newest.createdAt + 1 });
    const result = await sandbox.cli(['drill', ENV, '--database']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('REWIND_E_DRILL_FAILED');
    expect(result.stdout).toContain('✗ rows of users: restored 2 rows; the backup recorded 5 rows');
    const tampered = (await sandbox.ledger.listBackups(ENV))[0]!;
    expect(tampered.testRestore).toMatchObject({ ok: false });
    const status = await sandbox.cli(['status', ENV, '--json']);
    expect(json<{ newestBackup: { trusted: boolean } }>(status.stdout).newestBackup.trusted).toBe(false);
  }, 30_000);

  it('refuses a drill on a production environment, changing nothing; --force needs --reason; forced is audited', async () => {
    const productionConfig = join(sandbox.root, 'rewind-production.yaml');
    const yaml = await readFile(sandbox.configPath, 'utf8');
    await writeFile(productionConfig, yaml.replace(`  ${ENV}:\n`, `  ${ENV}:\n    production: true\n`));
    const before = { drills: await sandbox.ledger.listDrills(), releases: await sandbox.ledger.listReleases(ENV), events: await sandbox.ledger.listEvents(ENV, { limit: 10_000 }) };
    const refused = await runCli(['drill', ENV, '--config', productionConfig]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('REWIND_E_DRILL_PRODUCTION');
    // The same policy in process, on the production config.
    const production = { ...sandbox.services, config: { ...sandbox.config, environments: { [ENV]: { ...sandbox.config.environments[ENV]!, production: true } } } };
    await expect(runFailureDrill(production, ENV, { failure: 'health', force: true })).rejects.toMatchObject({ code: 'REWIND_E_USAGE', message: expect.stringContaining('--force needs --reason') });
    await expect(runDatabaseDrill(production, ENV, {})).rejects.toMatchObject({ code: 'REWIND_E_DRILL_PRODUCTION' });
    expect(await sandbox.ledger.listDrills()).toEqual(before.drills);
    expect(await sandbox.ledger.listReleases(ENV)).toEqual(before.releases);
    expect(await sandbox.ledger.listEvents(ENV, { limit: 10_000 })).toEqual(before.events);
    // The live database is as it was: no scratch restore ran.
    expect((await db.query('SELECT count(*)::int AS n FROM users'))[0]!.n).toBe(2);

    const forced = await runCli(['drill', ENV, '--database', '--force', '--reason', 'pre-launch rehearsal', '--dry-run', '--json', '--config', productionConfig]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(json<{ dryRun: boolean; plan: { forcedReason: string } }>(forced.stdout)).toMatchObject({ dryRun: true, plan: { forcedReason: 'pre-launch rehearsal' } });
    expect(await sandbox.ledger.listDrills()).toEqual(before.drills);

    // Forced with a reason, it runs, and the reason is in the drill's row and its start event (the audit log).
    const ran = await runDatabaseDrill(production, ENV, { force: true, reason: 'pre-launch rehearsal' });
    // (The newest backup is still the one whose record says 5 users: the drill runs and finds that again.)
    expect(ran.drill).toMatchObject({ state: 'failed', forcedReason: 'pre-launch rehearsal' });
    const audit = (await sandbox.ledger.listEvents(ENV, { limit: 10_000 })).find((e) => e.event === 'drill_start' && e.data.drillId === ran.drill!.id);
    expect(audit).toMatchObject({ actor: 'tester@test', data: { forced: true, forceReason: 'pre-launch rehearsal', kind: 'database' } });
  });

  it('status warns again once the last passing drill is older than drills.maxAgeDays', async () => {
    const now = Date.now();
    expect((await drillStanding(sandbox.ledger, ENV, 90, now)).warning).toBeNull();
    const later = await drillStanding(sandbox.ledger, ENV, 90, now + 91 * 86_400_000);
    expect(later.warning).toMatch(/passed 9[01] days ago, more than drills.maxAgeDays \(90\)/);
    const config = join(sandbox.root, 'rewind-strict.yaml');
    await writeFile(config, `${(await readFile(sandbox.configPath, 'utf8')).replace('version: 1\n', 'version: 1\ndrills:\n  maxAgeDays: 1\n')}`);
    const status = await runCli(['status', ENV, '--json', '--config', config]);
    expect(json<{ drills: { maxAgeDays: number; warning: string | null } }>(status.stdout).drills).toMatchObject({ maxAgeDays: 1, warning: null });
  });
});

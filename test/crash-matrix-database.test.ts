import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppDatabase, MIGRATE, prismaDatabaseYaml, type AppDatabase } from './support/app-database.js';
import { atPoint, crashPoints, crashThenResume, expectConverged, planOf, privateTmp, stepDurations } from './support/crash-matrix.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

/**
 * Crash matrix, database plans (real PostgreSQL, real PM2): `rewind db restore` (check the backup →
 * stop the app → safety backup → restore → verify → start the app), `rewind db down` (safety backup →
 * one down migration) and a rollback that restores the database (`rollback --db restore`), each
 * killed at the start, the end and (long steps) the middle of every step, then resumed. Resume must
 * finish the operation: the database as the operation promised, the app serving, ledger, link and
 * processes agreeing, and nothing of the killed rewind left behind — no psql holding a transaction
 * open, no restore temp directory.
 */
describe('crash matrix: database operations, killed at every step, then resumed (real PostgreSQL, real PM2)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  let tmp: string;
  const migrations: Record<string, string> = { 'prisma/migrations/20250101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text);\n' };
  let n = 0;

  /** The next release: one more migration, with its down migration (so `db down` may revert it). */
  async function nextRelease(): Promise<{ version: string; migration: string }> {
    n += 1;
    const migration = `2026020100${String(n).padStart(4, '0')}_t${n}`;
    migrations[`prisma/migrations/${migration}/migration.sql`] = `CREATE TABLE t${n} (id serial PRIMARY KEY);\n`;
    migrations[`prisma/migrations/${migration}/down.sql`] = `DROP TABLE t${n};\n`;
    const version = `3.0.${n}`;
    await sandbox.release(version, { files: { ...migrations } });
    return { version, migration };
  }

  async function deployNext(): Promise<{ version: string; migration: string }> {
    const next = await nextRelease();
    const deployed = await sandbox.cli(['deploy', ENV, next.version]);
    expect(deployed.code, deployed.stderr).toBe(0);
    return next;
  }

  /** What a killed rewind must not leave in the database: its psql sessions, a transaction held open. */
  async function expectNoLeftoverSessions(point: string) {
    const leftovers = await db.query(`SELECT application_name, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (application_name = 'rewind' OR state LIKE 'idle in transaction%')`);
    expect(leftovers, point).toEqual([]);
  }

  const applied = async (migration: string) => (await db.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '${migration}' AND rolled_back_at IS NULL`))[0]!.n as number;

  beforeAll(async () => {
    db = await createAppDatabase('rewind_crash_db');
    await db.migrate(migrations);
    // Down commands as Prisma users write them: run the down SQL, then mark the migration rolled back.
    // Between the two, a tripwire the last test arms: it SIGKILLs rewind (its parent) exactly there.
    const down = (root: string) => `
        down:
          - [psql, -X, -q, -v, ON_ERROR_STOP=1, -d, "${db.url}", -f, "{down_file}"]
          - [sh, -c, 'if [ -e "$1" ]; then rm -f "$1"; kill -9 $PPID; fi', tripwire, "${root}/kill-after-down-sql"]
          - ["${process.execPath}", "${MIGRATE}", --rolled-back, "{migration}"]`;
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root, down(root)) });
    tmp = await privateTmp(sandbox);
    await sandbox.release('1.0.0', { files: { ...migrations } });
    const first = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('db restore: converges from a SIGKILL at every point, the backup restored and the app serving', async () => {
    const { version } = await deployNext();
    const plan = await planOf(sandbox, ['db', 'restore', ENV]);
    expect(plan.steps.map((s) => s.id)).toEqual(['db-check-backup', 'stop-app', 'db-safety-backup', 'db-restore', 'db-verify', 'activate', 'health']);
    const clean = await sandbox.cli(['db', 'restore', ENV, '--yes', '--json'], { env: { TMPDIR: tmp } });
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(sandbox, operationId), 100);

    for (const point of points) {
      await atPoint(point, async (at) => {
        // A row written since the backup: the restore must take it away, once resumed.
        await db.query(`INSERT INTO users (email) VALUES ('after-backup@example.com')`);
        const run = await crashThenResume(sandbox, ['db', 'restore', ENV, '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, version, { tmp });
        expect(await db.query(`SELECT count(*)::int AS n FROM users WHERE email = 'after-backup@example.com'`), at).toEqual([{ n: 0 }]);
        await expectNoLeftoverSessions(at);
        return run !== null;
      });
    }
  }, 900_000);

  it('db down: converges from a SIGKILL at every point, exactly one migration reverted', async () => {
    const warm = await deployNext();
    const plan = await planOf(sandbox, ['db', 'down', ENV]);
    expect(plan.steps.map((s) => s.id)).toEqual(['db-safety-backup', 'db-down']);
    const clean = await sandbox.cli(['db', 'down', ENV, '--yes', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(await applied(warm.migration)).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(sandbox, operationId), 100);

    for (const point of points) {
      await atPoint(point, async (at) => {
        const { version, migration } = await deployNext();
        const previous = Object.keys(migrations).filter((f) => f.endsWith('migration.sql')).map((f) => f.split('/')[2]!).filter((m) => m !== migration);
        const run = await crashThenResume(sandbox, ['db', 'down', ENV, '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, version, { tmp });
        // One step, never more: the release's own migration is reverted, every earlier one stays.
        expect(await applied(migration), at).toBe(0);
        for (const earlier of previous) expect(await applied(earlier), `${at}: ${earlier}`).toBe(1);
        expect((await sandbox.ledger.getRelease(ENV, version))?.database?.migrations.map((m) => m.id), at).not.toContain(migration);
        await expectNoLeftoverSessions(at);
        return run !== null;
      });
    }
  }, 900_000);

  it('rollback that restores the database: converges from a SIGKILL at every point of its plan', async () => {
    let { version: from } = await deployNext();
    const plan = await planOf(sandbox, ['rollback', ENV, '--db', 'restore']);
    expect(plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'prepare', 'db-check-backup', 'stop-app', 'db-safety-backup', 'db-restore', 'db-verify', 'activate', 'health', 'rollback-complete']);
    const points = crashPoints(plan, {}, 100).filter((p) => !p.includes(':after='));
    // The long steps' middles, from a rollback run without a kill.
    const clean = await sandbox.cli(['rollback', ENV, '--db', 'restore', '--yes', '--json'], { env: { TMPDIR: tmp } });
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const middles = crashPoints(plan, await stepDurations(sandbox, operationId), 100).filter((p) => p.includes(':after='));

    for (const point of [...points, ...middles]) {
      await atPoint(point, async (at) => {
        ({ version: from } = await deployNext());
        const lkg = (await sandbox.ledger.findLastKnownGood(ENV, from))!.version;
        const run = await crashThenResume(sandbox, ['rollback', ENV, '--db', 'restore', '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, lkg, { tmp });
        expect((await sandbox.ledger.getRelease(ENV, from))?.state, at).toBe('rolled-back');
        await expectNoLeftoverSessions(at);
        return run !== null;
      });
    }
  }, 1_200_000);

  it('db down killed between its down SQL and marking the migration reverted: resume starts again from the safety backup and reverts once', async () => {
    const { version, migration } = await deployNext();
    await writeFile(join(sandbox.root, 'kill-after-down-sql'), '');
    const killed = await sandbox.cli(['db', 'down', ENV, '--yes', '--json'], { env: { TMPDIR: tmp } });
    expect(killed.signal).toBe('SIGKILL');
    // The state no command can tell apart: the table is gone, the history still says applied.
    expect(await db.query(`SELECT to_regclass('t${n}') IS NULL AS dropped`)).toEqual([{ dropped: true }]);
    expect(await applied(migration)).toBe(1);
    const resumed = await sandbox.cli(['resume', ENV, '--json'], { env: { TMPDIR: tmp } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const down = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'step_complete' && e.step === 'db-down');
    expect(String(down?.message)).toMatch(/^reverted .* after restoring safety backup #\d+: an earlier attempt was cut short$/);
    expect(await applied(migration)).toBe(0);
    expect(await db.query(`SELECT to_regclass('t${n}') IS NULL AS dropped`)).toEqual([{ dropped: true }]);
    await expectConverged(sandbox, 'between down commands', version, { tmp });
    await expectNoLeftoverSessions('between down commands');
  }, 120_000);
});

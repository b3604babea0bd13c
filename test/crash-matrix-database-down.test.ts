import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atPoint, crashPoints, crashThenResume, expectConverged, planOf, stepDurations } from './support/crash-matrix.js';
import { useDatabaseMatrix } from './support/crash-matrix-database.js';
import { ENV } from './support/sandbox.js';
import './in-process-status.js';

/**
 * Crash matrix, `rewind db down` (real PostgreSQL, real PM2): safety backup → one down migration,
 * killed at the start, the end and (long steps) the middle of every step, and between the down
 * SQL and marking the migration reverted; then resumed. Resume must revert exactly one migration,
 * the app serving, ledger, link and processes agreeing, no psql session of the killed rewind left.
 */
describe('crash matrix: db down, killed at every step, then resumed (real PostgreSQL, real PM2)', () => {
  const world = useDatabaseMatrix('rewind_crash_db_down');

  it('db down: converges from a SIGKILL at every point, exactly one migration reverted', async () => {
    const { sandbox, tmp, migrations } = world;
    const warm = await world.deployNext();
    const plan = await planOf(sandbox, ['db', 'down', ENV]);
    expect(plan.steps.map((s) => s.id)).toEqual(['db-safety-backup', 'db-down']);
    const clean = await sandbox.cli(['db', 'down', ENV, '--yes', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(await world.applied(warm.migration)).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(sandbox, operationId), 100);

    for (const point of points) {
      await atPoint(point, async (at) => {
        const { version, migration } = await world.deployNext();
        const previous = Object.keys(migrations).filter((f) => f.endsWith('migration.sql')).map((f) => f.split('/')[2]!).filter((m) => m !== migration);
        const run = await crashThenResume(sandbox, ['db', 'down', ENV, '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, version, { tmp });
        // One step, never more: the release's own migration is reverted, every earlier one stays.
        expect(await world.applied(migration), at).toBe(0);
        for (const earlier of previous) expect(await world.applied(earlier), `${at}: ${earlier}`).toBe(1);
        expect((await sandbox.ledger.getRelease(ENV, version))?.database?.migrations.map((m) => m.id), at).not.toContain(migration);
        await world.expectNoLeftoverSessions(at);
        return run !== null;
      });
    }
  }, 900_000);

  it('db down killed between its down SQL and marking the migration reverted: resume starts again from the safety backup and reverts once', async () => {
    const { db, sandbox, tmp } = world;
    const { version, migration } = await world.deployNext();
    await writeFile(join(sandbox.root, 'kill-after-down-sql'), '');
    const killed = await sandbox.cli(['db', 'down', ENV, '--yes', '--json'], { env: { TMPDIR: tmp } });
    expect(killed.signal).toBe('SIGKILL');
    // The state no command can tell apart: the table is gone, the history still says applied.
    expect(await db.query(`SELECT to_regclass('t${world.n}') IS NULL AS dropped`)).toEqual([{ dropped: true }]);
    expect(await world.applied(migration)).toBe(1);
    const resumed = await sandbox.cli(['resume', ENV, '--json'], { env: { TMPDIR: tmp } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const down = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'step_complete' && e.step === 'db-down');
    expect(String(down?.message)).toMatch(/^reverted .* after restoring safety backup #\d+: an earlier attempt was cut short$/);
    expect(await world.applied(migration)).toBe(0);
    expect(await db.query(`SELECT to_regclass('t${world.n}') IS NULL AS dropped`)).toEqual([{ dropped: true }]);
    await expectConverged(sandbox, 'between down commands', version, { tmp });
    await world.expectNoLeftoverSessions('between down commands');
  }, 120_000);
});

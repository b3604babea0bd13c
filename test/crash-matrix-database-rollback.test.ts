import { describe, expect, it } from 'vitest';
import { atPoint, crashPoints, crashThenResume, expectConverged, planOf, stepDurations } from './support/crash-matrix.js';
import { useDatabaseMatrix } from './support/crash-matrix-database.js';
import { ENV } from './support/sandbox.js';
import './in-process-status.js';

/**
 * Crash matrix, a rollback that restores the database (`rollback --db restore`; real PostgreSQL,
 * real PM2), killed at the start, the end and (long steps) the middle of every step, then resumed.
 * Resume must finish the rollback: the last known good release serving with its database, the
 * release rolled back from marked so, ledger, link and processes agreeing, no psql session of the
 * killed rewind left, no restore temp directory.
 */
describe('crash matrix: rollback with a database restore, killed at every step, then resumed (real PostgreSQL, real PM2)', () => {
  const world = useDatabaseMatrix('rewind_crash_db_rollback');

  it('rollback that restores the database: converges from a SIGKILL at every point of its plan', async () => {
    const { sandbox, tmp } = world;
    let { version: from } = await world.deployNext();
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
        ({ version: from } = await world.deployNext());
        const lkg = (await sandbox.ledger.findLastKnownGood(ENV, from))!.version;
        const run = await crashThenResume(sandbox, ['rollback', ENV, '--db', 'restore', '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, lkg, { tmp });
        expect((await sandbox.ledger.getRelease(ENV, from))?.state, at).toBe('rolled-back');
        await world.expectNoLeftoverSessions(at);
        return run !== null;
      });
    }
  }, 1_200_000);
});

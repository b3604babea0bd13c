import { describe, expect, it } from 'vitest';
import { atPoint, crashPoints, crashThenResume, expectConverged, planOf, stepDurations } from './support/crash-matrix.js';
import { useDatabaseMatrix } from './support/crash-matrix-database.js';
import { ENV } from './support/sandbox.js';
import './in-process-status.js';

/**
 * Crash matrix, `rewind db restore` (real PostgreSQL, real PM2): check the backup → stop the app →
 * safety backup → restore → verify → start the app, killed at the start, the end and (long steps)
 * the middle of every step, then resumed. Resume must finish the operation: the database as the
 * backup had it, the app serving, ledger, link and processes agreeing, and nothing of the killed
 * rewind left behind — no psql holding a transaction open, no restore temp directory.
 */
describe('crash matrix: db restore, killed at every step, then resumed (real PostgreSQL, real PM2)', () => {
  const world = useDatabaseMatrix('rewind_crash_db_restore');

  it('db restore: converges from a SIGKILL at every point, the backup restored and the app serving', async () => {
    const { db, sandbox, tmp } = world;
    const { version } = await world.deployNext();
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
        await world.expectNoLeftoverSessions(at);
        return run !== null;
      });
    }
  }, 900_000);
});

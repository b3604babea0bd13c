import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atPoint, crashPoints, crashThenResume, expectConverged, MATRIX_APP_ENV, planOf, privateTmp, stepDurations } from './support/crash-matrix.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';
import './in-process-status.js';

/**
 * Crash matrix, rollback plans (real PM2): the automatic rollback of a deploy whose release fails
 * its health check, and a manual rollback, each killed at the start, the end and (long steps) the
 * middle of every step, and at the deploy's hand-over to its rollback; then resumed. Every resume
 * must complete the rollback: the last known good release serves, and ledger, link and processes
 * agree.
 */
describe('crash matrix: every step of a rollback, killed, then resumed (real PM2)', () => {
  let sandbox: Sandbox;
  let tmp: string;
  let n = 0;

  beforeAll(async () => {
    // Three retries, not six: a broken release is judged after 0.7 s of backoff instead of 1.9 s, at every
    // point of the automatic rollback; a good one answers its first probe (PM2's reload waits for it to listen).
    sandbox = await createSandbox({ appEnv: MATRIX_APP_ENV, healthRetries: 3 });
    tmp = await privateTmp(sandbox);
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    for (const version of ['1.0.0', '1.1.0']) {
      const deployed = await sandbox.cli(['deploy', ENV, version]);
      expect(deployed.code, deployed.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => sandbox?.close());

  /** A new release whose health check fails: its deploy rolls back by itself to 1.1.0. */
  async function nextBroken(): Promise<string> {
    n += 1;
    const version = `9.0.${n}`;
    await sandbox.release(version, { fault: { health: 'fail' } });
    return version;
  }

  it('automatic rollback: converges from a SIGKILL at every point of its plan and at the hand-over', async () => {
    const warm = await nextBroken();
    const run = await sandbox.cli(['deploy', ENV, warm, '--json']);
    expect(run.code, run.stderr).toBe(7);
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rollbackId = events.find((e) => e.event === 'rollback_start')!.operationId as string;
    const plan = (await sandbox.ledger.getOperation(rollbackId))!.plan as Parameters<typeof crashPoints>[0];
    expect(plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'prepare', 'activate', 'health', 'rollback-complete']);
    const points = ['deploy:operation:handover', ...crashPoints(plan, await stepDurations(sandbox, rollbackId))];

    for (const point of points) {
      await atPoint(point, async (at) => {
        const broken = await nextBroken();
        const run = await crashThenResume(sandbox, ['deploy', ENV, broken, '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, '1.1.0', { tmp });
        expect((await sandbox.ledger.getRelease(ENV, broken))?.state, at).toBe('failed');
        expect((await sandbox.ledger.findLastKnownGood(ENV, '1.1.0'))?.version, at).toBe('1.0.0');
        return run !== null;
      });
    }
  }, 900_000);

  it('manual rollback: converges from a SIGKILL at every point of its plan', async () => {
    // Back and forth between the two good releases: every run is the same plan shape.
    const plan = await planOf(sandbox, ['rollback', ENV, '--to', '1.0.0']);
    expect(plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'prepare', 'activate', 'health', 'rollback-complete']);
    const clean = await sandbox.cli(['rollback', ENV, '--to', '1.0.0', '--yes', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(sandbox, operationId));

    let current = '1.0.0';
    for (const point of points) {
      await atPoint(point, async (at) => {
        const to = current === '1.0.0' ? '1.1.0' : '1.0.0';
        const run = await crashThenResume(sandbox, ['rollback', ENV, '--to', to, '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, to, { tmp });
        expect((await sandbox.ledger.getRelease(ENV, current))?.state, at).toBe('rolled-back');
        current = to;
        return run !== null;
      });
    }
  }, 900_000);

  it('repair: converges from a SIGKILL at every point of its plan', async () => {
    // A disagreement to repair: the ledger records 1.1.0 while the link and every process run 1.0.0.
    const serving = (await sandbox.ledger.getEnvironment(ENV))!.currentVersion!;
    const other = serving === '1.0.0' ? '1.1.0' : '1.0.0';
    const break_ = () => sandbox.ledger.setCurrentVersion(ENV, other, Date.now());
    await break_();
    const plan = await planOf(sandbox, ['repair', ENV]);
    expect(plan.steps.map((s) => s.id)).toEqual(['reconcile', 'record-current', 'health']);
    for (const point of crashPoints(plan)) {
      await break_();
      const run = await crashThenResume(sandbox, ['repair', ENV, '--json'], point, tmp);
      expect(run!.resumed.code, `${point}: ${run!.resumed.stderr}`).toBe(0);
      await expectConverged(sandbox, point, serving, { tmp });
    }
  }, 300_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../src/core/plan.js';
import { atPoint, crashPoints, crashThenResume, expectSlottedConverged, MATRIX_APP_ENV, planOf, privateTmp, stepDurations } from './support/crash-matrix.js';
import { ENV } from './support/sandbox.js';
import { createSlottedSandbox, shortCanaryYaml, type SlottedSandbox } from './support/slotted-sandbox.js';
import './in-process-status.js';

/** Steps this long get a middle point: the slot's boot and probe, the analysis and the watch (mid-measurement). */
const LONG_MS = 20;

/**
 * Crash matrix, canary plans (real PM2 slots behind a real haproxy, switched through its runtime
 * API): a healthy canary (boot on the idle slot, 50 % judged against stable, 100 %, watch), a canary
 * that errors at 50 % and is aborted by the deploy's automatic rollback (only a switch back), and
 * that rollback itself; each killed at the start, the end and (long steps) the middle of every step,
 * and at the hand-over, then resumed. A canary killed mid-way must end promoted (all traffic on it,
 * good) or entirely back on stable (a clean rollback) — never with the split left behind.
 */
describe('crash matrix: canary deploy and its abort, killed at every step, then resumed (real PM2 slots, real haproxy)', () => {
  let box: SlottedSandbox;
  let tmp: string;
  let n = 0;
  let failing = 0;

  beforeAll(async () => {
    box = await createSlottedSandbox({ router: 'haproxy', strategy: 'canary', extraYaml: shortCanaryYaml, appEnv: MATRIX_APP_ENV });
    tmp = await privateTmp(box);
    await box.release('1.0.0');
    // The first deploy has no stable slot to compare with: it moves at once, the watch judges it.
    const first = await box.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
    // The second starts the other slot's app: from here on every deploy reloads one, as in the matrix.
    const second = await box.cli(['deploy', ENV, await nextRelease()]);
    expect(second.code, second.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => box?.close());

  async function nextRelease(): Promise<string> {
    n += 1;
    const version = `1.1.${n}`;
    await box.release(version, { fault: { latencyJitterMs: 3 } });
    return version;
  }

  /** A release half of whose ordinary requests answer 500: its canary fails at 50 %. */
  async function nextFailing(): Promise<string> {
    failing += 1;
    const version = `2.0.${failing}`;
    await box.release(version, { fault: { errorRate: 0.5 } });
    return version;
  }

  const operationOf = (stdout: string) => (JSON.parse(stdout.split('\n')[0]!) as { operationId: string }).operationId;

  it('healthy canary: promoted after a SIGKILL at every point of its plan', async () => {
    const warm = await nextRelease();
    const plan = await planOf(box, ['deploy', ENV, warm]);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'record-running',
      'disk-space',
      'baseline-health',
      'baseline-metrics',
      'prepare',
      'start-slot',
      'slot-health',
      'shift-50',
      'canary-50',
      'shift-100',
      'health',
      'watch',
      'mark-good',
      'prune',
    ]);
    const clean = await box.cli(['deploy', ENV, warm, '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const points = crashPoints(plan, await stepDurations(box, operationOf(clean.stdout)), LONG_MS);
    expect(points.length).toBeGreaterThanOrEqual(2 * plan.steps.length + 2);

    for (const point of points) {
      await atPoint(point, async (at) => {
        const stable = (await box.ledger.getEnvironment(ENV))!.currentVersion!;
        const version = await nextRelease();
        const run = await crashThenResume(box, ['deploy', ENV, version, '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        const status = await expectSlottedConverged(box, at, version);
        // The stable release stays warm on the other slot, with no traffic.
        expect(status.slots?.find((s) => s.version === stable), at).toMatchObject({ online: true, trafficPercent: 0 });
        expect((await box.ledger.getRelease(ENV, stable))?.state, at).toBe('superseded');
        expect((await box.ledger.findLastKnownGood(ENV, version))?.version, at).toBe(stable);
        return run !== null;
      });
    }
  }, 900_000);

  it('failing canary: all traffic back on stable after a SIGKILL at every point of the deploy, at the hand-over and in its rollback', async () => {
    const stable = (await box.ledger.getEnvironment(ENV))!.currentVersion!;
    const warm = await nextFailing();
    const run = await box.cli(['deploy', ENV, warm, '--json']);
    expect(run.code, run.stderr).toBe(7);
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const deployId = events.find((e) => e.event === 'deploy_start')!.operationId as string;
    const rollbackId = events.find((e) => e.event === 'rollback_start')!.operationId as string;
    const deployPlan = (await box.ledger.getOperation(deployId))!.plan as Plan;
    const rollbackPlan = (await box.ledger.getOperation(rollbackId))!.plan as Plan;
    expect(rollbackPlan.steps.map((s) => s.id)).toEqual(['rollback-start', 'switch-traffic', 'health', 'rollback-complete']);
    // The deploy's points from the first traffic shift to the canary step that fails (it never reaches
    // later ones): killed with the split in place, resume must abort it. The steps before the shift
    // are those of the healthy canary's plan (same executors, same parameters), killed above.
    const shifted = deployPlan.steps.findIndex((s) => s.kind === 'shift-traffic');
    const failedAt = deployPlan.steps.findIndex((s) => s.id === 'canary-50');
    expect(shifted).toBeGreaterThan(0);
    const ran = { ...deployPlan, steps: deployPlan.steps.slice(shifted, failedAt + 1) };
    const inDeploy = crashPoints(ran, await stepDurations(box, deployId), LONG_MS).filter((p) => p !== 'deploy:operation:created');
    const points = [...inDeploy, 'deploy:operation:handover', ...crashPoints(rollbackPlan, await stepDurations(box, rollbackId), LONG_MS)];
    expect(points.length).toBeGreaterThanOrEqual(2 * (ran.steps.length + rollbackPlan.steps.length) + 3);
    await expectSlottedConverged(box, 'clean run', stable);
    // What a manual rollback would return to: no failed canary may ever become it.
    const lkg = (await box.ledger.findLastKnownGood(ENV, stable))?.version;
    expect(lkg).toBeDefined();

    for (const point of points) {
      await atPoint(point, async (at) => {
        const version = await nextFailing();
        const run = await crashThenResume(box, ['deploy', ENV, version, '--json'], at, tmp, {}, 7);
        // Killed in the deploy, resume finishes it: the canary fails and its rollback ends it (exit 7, the release rolled back).
        const inTheDeploy = at.startsWith('deploy:') && at !== 'deploy:operation:handover';
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(inTheDeploy ? 7 : 0);
        const status = await expectSlottedConverged(box, at, stable);
        // The failed canary is on the other slot with no traffic, and never became good.
        expect(status.slots?.find((s) => s.version === version), at).toMatchObject({ trafficPercent: 0 });
        expect((await box.ledger.getRelease(ENV, version))?.state, at).toBe('failed');
        expect((await box.ledger.findLastKnownGood(ENV, stable))?.version, at).toBe(lkg);
        return run !== null;
      });
    }
  }, 900_000);
});

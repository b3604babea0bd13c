import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atPoint, crashPoints, crashThenResume, expectSlottedConverged, MATRIX_APP_ENV, planOf, privateTmp, stepDurations } from './support/crash-matrix.js';
import { ENV } from './support/sandbox.js';
import { createSlottedSandbox, type SlottedSandbox } from './support/slotted-sandbox.js';
import './in-process-status.js';

/** Steps this long get a middle point: the slot's boot and probe, nginx's reload. */
const LONG_MS = 50;

/**
 * Crash matrix, blue-green plans (real PM2 slots behind a real nginx, whose every switch is a file
 * write, `nginx -t` and a reload): a deploy (boot on the idle slot, probe it there, switch all
 * traffic, probe through nginx), a rollback to the release still warm on the other slot (only the
 * traffic switch), and a rollback to a release no slot holds (booted on the idle slot first); each
 * killed at the start, the end and (long steps) the middle of every step, then resumed. Every resume
 * must finish: nginx sends all traffic to the slot holding the release the ledger and link name.
 */
describe('crash matrix: blue-green deploy and rollback, killed at every step, then resumed (real PM2 slots, real nginx)', () => {
  let box: SlottedSandbox;
  let tmp: string;
  let n = 0;

  beforeAll(async () => {
    box = await createSlottedSandbox({ router: 'nginx', strategy: 'blue-green', appEnv: MATRIX_APP_ENV });
    tmp = await privateTmp(box);
    await box.release('1.0.0');
    await box.release('1.0.1');
    // Two deploys start both slots' apps: from here on every deploy reloads one, as in the matrix.
    for (const version of ['1.0.0', '1.0.1']) {
      const deployed = await box.cli(['deploy', ENV, version]);
      expect(deployed.code, deployed.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => box?.close());

  async function nextRelease(): Promise<string> {
    n += 1;
    const version = `2.0.${n}`;
    await box.release(version);
    return version;
  }

  it('deploy: converges from a SIGKILL at every point of its plan', async () => {
    const warm = await nextRelease();
    const plan = await planOf(box, ['deploy', ENV, warm]);
    expect(plan.steps.map((s) => s.id)).toEqual(['record-running', 'disk-space', 'baseline-health', 'prepare', 'start-slot', 'slot-health', 'switch-traffic', 'health', 'mark-good', 'prune']);
    const clean = await box.cli(['deploy', ENV, warm, '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(box, operationId), LONG_MS);
    expect(points.length).toBeGreaterThanOrEqual(2 * plan.steps.length + 2);

    for (const point of points) {
      await atPoint(point, async (at) => {
        const previous = (await box.ledger.getEnvironment(ENV))!.currentVersion!;
        const version = await nextRelease();
        const run = await crashThenResume(box, ['deploy', ENV, version, '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        const status = await expectSlottedConverged(box, at, version);
        // The release it replaced stays warm on the other slot, for a rollback that is only a switch.
        expect(status.slots?.find((s) => s.version === previous)?.online, at).toBe(true);
        expect((await box.ledger.findLastKnownGood(ENV, version))?.version, at).toBe(previous);
        return run !== null;
      });
    }
  }, 900_000);

  it('rollback to the warm release (only a traffic switch): converges from a SIGKILL at every point of its plan', async () => {
    // Back and forth between the two releases the slots hold: every run is the same plan shape.
    let current = (await box.ledger.getEnvironment(ENV))!.currentVersion!;
    let held = heldBy(await status());
    const first = held.find((v) => v !== current)!;
    const plan = await planOf(box, ['rollback', ENV, '--to', first]);
    expect(plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'switch-traffic', 'health', 'rollback-complete']);
    const clean = await box.cli(['rollback', ENV, '--to', first, '--yes', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(box, operationId), LONG_MS);
    expect(points.length).toBeGreaterThanOrEqual(2 * plan.steps.length + 2);
    current = first;

    for (const point of points) {
      await atPoint(point, async (at) => {
        const to = held.find((v) => v !== current)!;
        const run = await crashThenResume(box, ['rollback', ENV, '--to', to, '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        const after = heldBy(await expectSlottedConverged(box, at, to));
        expect((await box.ledger.getRelease(ENV, current))?.state, at).toBe('rolled-back');
        // Only a switch: both releases still run on their slots.
        expect(after.sort(), at).toEqual(held.sort());
        current = to;
        held = after;
        return run !== null;
      });
    }
  }, 900_000);

  it('rollback to a release no slot holds (booted on the idle slot first): converges from a SIGKILL at every point of its plan', async () => {
    // Three good releases, two slots: each rollback boots the one no slot holds, on the slot that does not serve.
    let current = (await box.ledger.getEnvironment(ENV))!.currentVersion!;
    let held = heldBy(await status());
    const cold = (await box.ledger.listReleases(ENV)).filter((r) => r.goodSeq !== null && !held.includes(r.version)).sort((a, b) => b.seq - a.seq)[0]!.version;
    const three = [...held, cold];
    const plan = await planOf(box, ['rollback', ENV, '--to', cold]);
    expect(plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'prepare', 'start-slot', 'slot-health', 'switch-traffic', 'health', 'rollback-complete']);
    const clean = await box.cli(['rollback', ENV, '--to', cold, '--yes', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(box, operationId), LONG_MS);
    held = heldBy(await expectSlottedConverged(box, 'clean run', cold));
    expect(held.sort()).toEqual([current, cold].sort());
    current = cold;

    for (const point of points) {
      await atPoint(point, async (at) => {
        const to = three.find((v) => !held.includes(v))!;
        const run = await crashThenResume(box, ['rollback', ENV, '--to', to, '--yes', '--json'], at, tmp);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        const after = heldBy(await expectSlottedConverged(box, at, to));
        expect((await box.ledger.getRelease(ENV, current))?.state, at).toBe('rolled-back');
        // Booted on the slot that did not serve: the release rolled back from still runs on its own.
        expect(after.sort(), at).toEqual([current, to].sort());
        current = to;
        held = after;
        return run !== null;
      });
    }
  }, 900_000);

  async function status(): Promise<{ slots?: { version: string | null }[] }> {
    const result = await box.cli(['status', ENV, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { slots?: { version: string | null }[] };
  }
});

/** The releases the two slots hold. */
function heldBy(status: { slots?: { version: string | null }[] }): string[] {
  return (status.slots ?? []).map((s) => s.version).filter((v): v is string => v !== null);
}

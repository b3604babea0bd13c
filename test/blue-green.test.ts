import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { rollback } from '../src/core/operations/rollback.js';
import { ENV } from './support/sandbox.js';
import { createSlottedSandbox, type SlottedSandbox } from './support/slotted-sandbox.js';

// Blue-green on real PM2 (one app per slot) behind a real haproxy: the new release boots on the idle
// slot and is probed there before any user reaches it; the previous one stays warm, so a rollback
// is a traffic switch through haproxy's runtime API, not a boot.
describe('blue-green deploys and rollbacks (real PM2 slots, real haproxy)', () => {
  let box: SlottedSandbox;

  beforeAll(async () => {
    box = await createSlottedSandbox({ router: 'haproxy', strategy: 'blue-green' });
    await box.release('1.0.0');
    await box.release('1.1.0');
    await box.release('1.2.0', { fault: { health: 'fail' } });
    await box.release('1.3.0');
  });
  afterAll(async () => box?.close());

  it('boots each release on the idle slot, switches all traffic to it, and keeps the previous one warm', async () => {
    const first = await deploy(box.services, ENV, '1.0.0');
    expect(first.error?.message).toBeUndefined();
    expect(first.plan.steps.map((s) => s.id)).toEqual(['record-running', 'disk-space', 'prepare', 'start-slot', 'slot-health', 'switch-traffic', 'health', 'mark-good', 'prune']);
    expect(await box.onSlot('blue')).toMatchObject({ status: 200, version: '1.0.0' });

    const second = await deploy(box.services, ENV, '1.1.0');
    expect(second.error?.message).toBeUndefined();
    expect(second.plan.steps.find((s) => s.id === 'start-slot')?.params.slot).toMatchObject({ name: 'green', port: box.slots.green });
    expect(await box.served()).toEqual({ status: 200, version: '1.1.0' });
    // The previous release still runs on its own slot, and the router sends it nothing.
    expect(await box.onSlot('blue')).toMatchObject({ status: 200, version: '1.0.0' });
    expect(await box.router.currentWeights()).toEqual({ stable: 0, canary: 100 });
    expect((await box.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
    expect((await box.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
  });

  it('a release that fails its health check on the idle slot never gets traffic: nothing that serves changed', async () => {
    const outcome = await deploy(box.services, ENV, '1.2.0');
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain('nothing changed');
    expect(outcome.rollback).toBeUndefined();
    const steps = await box.ledger.listSteps(outcome.operation!.id);
    expect(steps.find((s) => s.stepId === 'slot-health')?.state).toBe('failed');
    expect(steps.some((s) => s.stepId === 'switch-traffic')).toBe(false);
    expect(await box.served()).toEqual({ status: 200, version: '1.1.0' });
    expect(await box.router.currentWeights()).toEqual({ stable: 0, canary: 100 });
    expect((await box.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
  });

  it('rolls back to the warm release by switching traffic only: same process, zero failed requests under load', async () => {
    const shipped = await deploy(box.services, ENV, '1.3.0');
    expect(shipped.error?.message).toBeUndefined();
    expect(await box.served()).toEqual({ status: 200, version: '1.3.0' });
    const warm = await box.onSlot('green');
    expect(warm).toMatchObject({ status: 200, version: '1.1.0' });

    const dry = await rollback(box.services, ENV, { dryRun: true });
    expect(dry.plan.steps.map((s) => s.id)).toEqual(['rollback-start', 'switch-traffic', 'health', 'rollback-complete']);
    expect(dry.plan.notes.join('\n')).toContain('1.1.0 is warm on slot green: the rollback is a traffic switch, not a boot');

    // Keep-alive load through haproxy during the switch (fetch pools its connections): every request must be answered 200.
    let stop = false;
    const tally = { ok: 0, failed: 0, versions: new Set<string>() };
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            const response = await fetch(`http://127.0.0.1:${box.port}/health`, { signal: AbortSignal.timeout(2000) });
            const body = (await response.json()) as { version: string };
            if (response.status === 200) tally.ok++;
            else tally.failed++;
            tally.versions.add(body.version);
          } catch {
            tally.failed++;
          }
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const back = await rollback(box.services, ENV, {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop = true;
    await load;

    expect(back.error?.message).toBeUndefined();
    const steps = await box.ledger.listSteps(back.operation!.id);
    expect(steps.map((s) => s.stepId)).toEqual(['rollback-start', 'switch-traffic', 'health', 'rollback-complete']);
    expect(await box.served()).toEqual({ status: 200, version: '1.1.0' });
    // Not booted again: the very process that served 1.1.0 before serves it now.
    expect((await box.onSlot('green')).pid).toBe(warm.pid);
    expect(tally.failed).toBe(0);
    expect(tally.ok).toBeGreaterThan(20);
    expect([...tally.versions].sort()).toEqual(['1.1.0', '1.3.0']);
    expect((await box.ledger.getRelease(ENV, '1.3.0'))?.state).toBe('rolled-back');
    expect((await box.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
    expect(box.memory.events.some((e) => e.event === 'traffic_shifted' && e.version === '1.1.0' && e.percent === 100)).toBe(true);

    // `rewind status` shows each slot, whether it runs, and its share as haproxy reports it.
    const status = await box.cli(['status', ENV, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).slots).toEqual([
      { name: 'blue', host: '127.0.0.1', port: box.slots.blue, version: '1.3.0', online: true, trafficPercent: 0 },
      { name: 'green', host: '127.0.0.1', port: box.slots.green, version: '1.1.0', online: true, trafficPercent: 100 },
    ]);
    const human = await box.cli(['status', ENV]);
    expect(human.stdout).toMatch(/slot green\s+1\.1\.0 on 127\.0\.0\.1:\d+, running, 100 % of traffic/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { ENV } from './support/sandbox.js';
import { createSlottedSandbox, type RouterType, type SlottedSandbox } from './support/slotted-sandbox.js';

// Canary deploys on real PM2 slots behind real nginx and real haproxy: 10 % → 50 % → 100 %, judged
// between steps by the analysis (the HTTP probe measures each slot on its own port); a failing canary
// is aborted — all traffic back on the stable release — by the deploy's automatic rollback.
const canaryYaml = (port: number) => `      canary:
        steps: [10, 50]
        measurements: 2
    watch:
      windowMs: 1000
      intervalMs: 400
      source:
        type: http-probe
        url: http://127.0.0.1:${port}/
        requests: 40
        concurrency: 2`;

/** Which releases answer `n` requests through the router. */
async function versionsThroughRouter(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    const { version } = (await response.json()) as { version: string };
    seen[version] = (seen[version] ?? 0) + 1;
  }
  return seen;
}

describe.each<RouterType>(['haproxy', 'nginx'])('canary through %s (real PM2 slots)', (router) => {
  let box: SlottedSandbox;

  beforeAll(async () => {
    box = await createSlottedSandbox({ router, strategy: 'canary', extraYaml: canaryYaml });
    await box.release('1.0.0');
    // Half of its ordinary requests answer 500 (deterministic: floor(n × 0.5)).
    await box.release('2.0.0', { fault: { errorRate: 0.5 } });
    await box.release('1.1.0', { fault: { latencyJitterMs: 3 } });
    const first = await deploy(box.services, ENV, '1.0.0');
    expect(first.error?.message).toBeUndefined();
  });
  afterAll(async () => box?.close());

  it('aborts a canary that errors at 10 %: all traffic back on the stable release at once, the measurements in the journal', async () => {
    const outcome = await deploy(box.services, ENV, '2.0.0');
    expect(outcome.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    const steps = await box.ledger.listSteps(outcome.operation!.id);
    expect(steps.find((s) => s.stepId === 'shift-10')?.state).toBe('succeeded');
    const judged = steps.find((s) => s.stepId === 'canary-10')!;
    expect(judged.state).toBe('failed');
    expect(judged.detail).toMatchObject({ code: 'REWIND_E_CANARY_FAILED', percent: 10 });
    const readings = (judged.detail as { measurements: { side: string; metric: string; value: number | null; outcome?: string }[] }).measurements;
    const canaryErrors = readings.find((r) => r.side === 'canary' && r.metric === 'error_rate')!;
    expect(canaryErrors.outcome).toBe('failed');
    // The app's 50 % counter also sees the router's 10 % share, so the probe's own slice is near, not at, half.
    expect(canaryErrors.value).toBeGreaterThan(0.4);
    expect(readings.find((r) => r.side === 'stable' && r.metric === 'error_rate')?.value).toBe(0);
    // Never promoted past the first step.
    expect(steps.some((s) => s.stepId === 'shift-50' || s.stepId === 'shift-100')).toBe(false);

    const abort = await box.ledger.listSteps(outcome.rollback!.operation!.id);
    expect(abort.map((s) => s.stepId)).toEqual(['rollback-start', 'switch-traffic', 'health', 'rollback-complete']);
    // 1.0.0 went to the first slot (blue), the router's first backend.
    expect(await box.router.currentWeights()).toEqual({ stable: 100, canary: 0 });
    expect(await versionsThroughRouter(box.port, 20)).toEqual({ '1.0.0': 20 });
    expect((await box.ledger.getRelease(ENV, '2.0.0'))?.state).toBe('failed');
    expect((await box.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');
  });

  it('promotes a healthy canary 10 % → 50 % → 100 %, splitting real traffic on the way', async () => {
    const running = deploy(box.services, ENV, '1.1.0');
    // While the canary is judged at a partial step, both releases answer through the router.
    let split: Record<string, number> | undefined;
    const deadline = Date.now() + 20_000;
    while (!split && Date.now() < deadline) {
      if (box.memory.events.some((e) => e.event === 'canary_measurement' && e.version === '1.1.0')) split = await versionsThroughRouter(box.port, 20);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const outcome = await running;
    expect(outcome.error?.message).toBeUndefined();
    expect(split?.['1.1.0']).toBeGreaterThan(0);
    expect(split?.['1.0.0']).toBeGreaterThan(0);
    const shifts = box.memory.events.filter((e) => e.event === 'traffic_shifted' && e.version === '1.1.0').map((e) => e.percent);
    expect(shifts).toEqual([10, 50, 100]);
    const steps = await box.ledger.listSteps(outcome.operation!.id);
    const fifty = steps.find((s) => s.stepId === 'canary-50')!;
    expect(fifty.state).toBe('succeeded');
    // Canary against stable: the error counts compared exactly, the latencies by rank.
    expect((fifty.detail as { comparisons: { metric: string; verdict: string }[] }).comparisons.map((c) => c.metric).sort()).toEqual(['error_rate', 'latency_p95_ms']);
    expect(await box.router.currentWeights()).toEqual({ stable: 0, canary: 100 });
    expect(await versionsThroughRouter(box.port, 10)).toEqual({ '1.1.0': 10 });
    expect((await box.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
    // The stable release stays warm on its slot for an instant rollback.
    expect(await box.onSlot('blue')).toMatchObject({ status: 200, version: '1.0.0' });
  });
});

describe('a canary step without data (its metric source is down)', () => {
  let box: SlottedSandbox;

  beforeAll(async () => {
    // Prometheus on a port nothing listens on: every reading is a source error, never a failure.
    box = await createSlottedSandbox({
      router: 'haproxy',
      strategy: 'canary',
      extraYaml: () => `      canary:
        steps: [20]
        measurements: 2
    watch:
      windowMs: 1000
      intervalMs: 200
      source:
        type: prometheus
        url: http://127.0.0.1:9
        timeoutMs: 300
        queries:
          error_rate: sum(rate(http_requests_total{instance="{{instance}}",status=~"5.."}[{{window}}]))
          latency_p95_ms: "1"`,
    });
    await box.release('1.0.0');
    await box.release('1.1.0');
    // The first deploy has no stable slot to compare with, so it moves at once and only the watch judges it: skip that.
    const first = await deploy(box.services, ENV, '1.0.0');
    expect(first.error?.code).toBe('REWIND_E_WATCH_PAUSED');
    await box.ledger.markReleaseGood(ENV, '1.0.0', Date.now());
  });
  afterAll(async () => box?.close());

  it('pauses without a rollback: all traffic back on stable, the release not promoted, a watch_paused event', async () => {
    const outcome = await deploy(box.services, ENV, '1.1.0');
    expect(outcome.error?.code).toBe('REWIND_E_WATCH_PAUSED');
    expect(outcome.error?.message).toContain('1.1.0 was not promoted and 1.0.0 serves');
    expect(outcome.rollback).toBeUndefined();
    const steps = await box.ledger.listSteps(outcome.operation!.id);
    const judged = steps.find((s) => s.stepId === 'canary-20')!;
    expect(judged.state).toBe('inconclusive');
    expect(judged.detail).toMatchObject({ trafficBack: true, code: 'REWIND_E_WATCH_PAUSED' });
    expect(await box.router.currentWeights()).toEqual({ stable: 100, canary: 0 });
    expect(await versionsThroughRouter(box.port, 10)).toEqual({ '1.0.0': 10 });
    expect((await box.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('registered');
    expect((await box.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');
    expect(box.memory.events.some((e) => e.event === 'watch_paused' && e.version === '1.1.0' && e.trafficBackOn === '1.0.0')).toBe(true);
    expect((await box.ledger.listOperations(ENV, { limit: 10 })).some((op) => op.kind === 'rollback')).toBe(false);
  });
});

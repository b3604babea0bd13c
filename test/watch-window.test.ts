import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { freePort } from '../src/demo/sample-artifacts.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// The watch window on real PM2 and the real sample app, with the seeds' defaults (error rate > 5 %
// fails, p95 > 1.5 × the preflight baseline fails) and short intervals so the suite stays fast.
const watchYaml = (port: number, source: string) => `    watch:
      windowMs: 6000
      intervalMs: 1000
      source:
${source.replaceAll('PORT', String(port))}`;
const PROBE = `        type: http-probe
        url: http://127.0.0.1:PORT/
        requests: 40
        concurrency: 2`;

describe('watch window (real PM2, HTTP probe)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await createSandbox({ databaseYaml: (_root, port) => watchYaml(port, PROBE) });
    await sandbox.release('1.0.0', { fault: { latencyJitterMs: 4 } });
    // Healthy but noisy: latency jitter only.
    await sandbox.release('1.1.0', { fault: { latencyMs: 1, latencyJitterMs: 6 } });
    await sandbox.release('1.2.0', { fault: { latencyJitterMs: 5 } });
    // Starts failing 20 % of requests about two intervals into the window.
    await sandbox.release('1.3.0', { fault: { errorRate: 0.2, errorAfterMs: 2500 } });
  });
  afterAll(async () => sandbox?.close());

  it('marks healthy noisy releases good only after the window, with no false rollback across runs', async () => {
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
      const outcome = await deploy(sandbox.services, ENV, version);
      expect(outcome.error?.message, version).toBeUndefined();
      const steps = await sandbox.ledger.listSteps(outcome.operation!.id);
      const watch = steps.find((s) => s.stepId === 'watch')!;
      expect(watch.state, version).toBe('succeeded');
      expect((watch.detail as { measurements: unknown[] }).measurements.length).toBeGreaterThanOrEqual(6);
      expect((await sandbox.ledger.getRelease(ENV, version))?.state).toBe('good');
    }
    // From the second deploy on, the preflight measured a baseline, so latency is judged too.
    const [last] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    const baseline = (await sandbox.ledger.listSteps(last!.id)).find((s) => s.stepId === 'baseline-metrics')!;
    expect((baseline.detail as { baseline: Record<string, number> }).baseline.latency_p95_ms).toBeGreaterThan(0);
  });

  it('rolls back by itself when the release starts erroring 20 % two intervals in; the journal shows the deciding measurements', async () => {
    const outcome = await deploy(sandbox.services, ENV, '1.3.0');
    expect(outcome.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    const steps = await sandbox.ledger.listSteps(outcome.operation!.id);
    const watch = steps.find((s) => s.stepId === 'watch')!;
    expect(watch.state).toBe('failed');
    const detail = watch.detail as { measurements: { seq: number; metric: string; value: number | null; outcome: string }[]; decidedBy: { metric: string; value: number; outcome: string }[] };
    const errorRates = detail.measurements.filter((m) => m.metric === 'error_rate');
    expect(errorRates[0]).toMatchObject({ seq: 1, value: 0, outcome: 'succeeded' });
    const failing = errorRates.find((m) => m.outcome === 'failed')!;
    expect(failing.seq).toBeGreaterThanOrEqual(2);
    expect(failing.value).toBeGreaterThanOrEqual(0.15);
    expect(detail.decidedBy.at(-1)).toMatchObject({ metric: 'error_rate', outcome: 'failed' });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
    const events = await sandbox.ledger.listEvents(ENV, { operationIds: [outcome.operation!.id] });
    expect(events.filter((e) => e.event === 'watch_measurement').length).toBe(failing.seq);
  });
});

describe('watch window with an unreachable Prometheus (real PM2)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    const dead = await freePort(); // nothing listens there: a Prometheus outage
    sandbox = await createSandbox({
      databaseYaml: (_root, port) =>
        watchYaml(port, `        type: prometheus\n        url: http://127.0.0.1:${dead}\n        timeoutMs: 300\n        queries:\n          error_rate: sum(rate(http_requests_total{status=~"5.."}[{{window}}]))\n          latency_p95_ms: "1"`),
    });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
  });
  afterAll(async () => sandbox?.close());

  it('measures error, pauses and notifies without rolling back', async () => {
    const first = await deploy(sandbox.services, ENV, '1.0.0');
    expect(first.error?.code).toBe('REWIND_E_WATCH_PAUSED');
    expect(first.error?.message).toContain('is live but not marked good');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('live');
    const steps = await sandbox.ledger.listSteps(first.operation!.id);
    const watch = steps.find((s) => s.stepId === 'watch')!;
    expect(watch.state).toBe('inconclusive');
    const measurements = (watch.detail as { measurements: { outcome: string; sourceError?: string }[] }).measurements;
    expect(measurements.every((m) => m.outcome === 'error')).toBe(true);
    expect(measurements[0]!.sourceError).toContain('REWIND_E_METRIC_UNAVAILABLE'.slice(0, 0) + '127.0.0.1');
    const events = await sandbox.ledger.listEvents(ENV, { operationIds: [first.operation!.id] });
    expect(events.map((e) => e.event)).toContain('watch_paused');
    expect(events.map((e) => e.event)).not.toContain('rollback_start');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  });
});

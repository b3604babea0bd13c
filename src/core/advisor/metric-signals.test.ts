import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../config/load-config.js';
import { freePort } from '../../demo/sample-artifacts.js';
import { openLedger } from '../../ledger/open-ledger.js';
import type { Ledger } from '../../ports/ledger.js';
import { succeeded } from '../../ports/outcome.js';
import { combineSignals } from './combine-signals.js';
import { gatherLiveSignals, type AdvisorServices } from './live-signals.js';
import { adviseRollback } from './rollback-advisor.js';
import { loadAdapters } from '../../adapters/registry.js';

const { createMetricSource } = await loadAdapters();

// The advisor's own measurement through `watch.source`, with real parts: the real HTTP probe
// against a real local server whose error share and latency the test sets, a real SQLite ledger
// holding the journal a deploy writes, and a Prometheus URL where nothing listens.
const ENV = 'production';
const T0 = 1_717_171_717_000;

let server: http.Server;
let appUrl: string;
/** Every `errorEvery`-th request answers 500 (0: none); each answer waits `delayMs`. */
const behaviour = { errorEvery: 0, delayMs: 0, served: 0 };

let root: string;
let ledger: Ledger;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    behaviour.served += 1;
    const fail = behaviour.errorEvery > 0 && behaviour.served % behaviour.errorEvery === 0;
    setTimeout(() => res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' }).end(fail ? 'boom' : 'ok'), behaviour.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(async () => {
  Object.assign(behaviour, { errorEvery: 0, delayMs: 0, served: 0 });
  root = mkdtempSync(join(tmpdir(), 'rewind-advisor-metrics-'));
  ledger = await openLedger(join(root, 'rewind.db'));
  await ledger.ensureEnvironment(ENV, T0);
  for (const version of ['1.0.0', '1.1.0']) {
    await ledger.registerRelease({ env: ENV, version, artifact: `/a/${version}`, digest: `sha256:${version}`, commit: null, ci: 'passed' }, T0);
    await ledger.markReleaseGood(ENV, version, T0);
  }
  await ledger.setCurrentVersion(ENV, '1.1.0', T0);
});
afterEach(async () => {
  await ledger.close();
  rmSync(root, { recursive: true, force: true });
});

function services(source: string | null): AdvisorServices {
  const watch = source === null ? '' : `    watch:\n      windowMs: 2000\n      intervalMs: 3000\n      source: ${source}\n`;
  const yaml = `ledger: ${join(root, 'rewind.db')}
environments:
  ${ENV}:
    target: { type: releases, path: ${join(root, 'srv')}, runtime: { type: pm2, name: app } }
    health: { url: "http://127.0.0.1:9/health" }
${watch}`;
  return { config: parseConfigText(yaml, root), ledger, checkHealth: async () => succeeded('healthy: status 200'), createMetricSource };
}
const probe = () => `{ type: http-probe, url: "${appUrl}", requests: 20, concurrency: 2 }`;

/** A deploy of 1.1.0 whose preflight recorded `p95` as the baseline, journalled as the watch steps write it. */
async function deployWithBaseline(id: string, p95: number | null, at = T0): Promise<void> {
  await ledger.createOperation({ id, env: ENV, kind: 'deploy', fromVersion: '1.0.0', toVersion: '1.1.0', state: 'running', plan: { version: 1, steps: [] }, actor: 'tester', parentId: null, reason: null, error: null, startedAt: at, finishedAt: null });
  await ledger.startStep({ operationId: id, index: 0, stepId: 'baseline-metrics', kind: 'baseline-metrics', detail: null, startedAt: at });
  await ledger.finishStep(id, 0, 'succeeded', { baseline: p95 === null ? null : { latency_p95_ms: p95 } }, at + 1);
  await ledger.finishOperation(id, 'succeeded', null, at + 2);
}

describe('the advisor measures through watch.source', () => {
  it('a release serving 20 % errors: the measured rate makes the advice a rollback that cites it', async () => {
    behaviour.errorEvery = 5;
    const live = await gatherLiveSignals(services(probe()), ENV);
    expect(live.metrics!.errorRate).toEqual({ status: 'measured', value: 0.2, via: 'http-probe', detail: '4 of 20 requests failed' });
    // No deploy recorded a baseline, so no ratio is made up; the probe sent only the error-rate burst.
    expect(live.metrics!.latencyRatio).toEqual({ status: 'unknown', reason: `no deploy of ${ENV} recorded a baseline p95 to compare with` });
    expect(behaviour.served).toBe(20);

    const advice = adviseRollback(combineSignals(live, {}));
    expect(advice).toMatchObject({ action: 'rollback', severity: 'critical', actWithin: 'immediately', command: `rewind rollback ${ENV} --yes` });
    expect(advice.findings.map((f) => f.issue)).toEqual(['error-rate']);
    expect(advice.reasons[0]).toBe('error rate 20% is above 5%, measured via http-probe: 4 of 20 requests failed — rule: an error rate above 5 % is Critical: roll back immediately');
    expect(advice.reasons).toContain(`latency ratio unknown: no deploy of ${ENV} recorded a baseline p95 to compare with`);
  });

  it('latency ratio = measured p95 over the newest recorded baseline; a deploy without one is passed over', async () => {
    behaviour.delayMs = 120;
    await deployWithBaseline('d-old', 40, T0);
    await deployWithBaseline('d-new', 50, T0 + 10);
    await deployWithBaseline('d-nodata', null, T0 + 20);
    const live = await gatherLiveSignals(services(probe()), ENV);
    const { latencyRatio, errorRate } = live.metrics!;
    expect(errorRate).toMatchObject({ status: 'measured', value: 0 });
    expect(latencyRatio).toMatchObject({ status: 'measured', via: 'http-probe' });
    const ratio = (latencyRatio as { value: number }).value;
    // 120 ms answers over the 50 ms baseline of d-new (not d-old's 40 ms).
    expect(ratio).toBeGreaterThanOrEqual(2.3);
    expect(ratio).toBeLessThan(6);
    expect((latencyRatio as { detail: string }).detail).toMatch(/^p95 1\d\d\.\d ms over the 50\.0 ms baseline recorded before the deploy of 1\.1\.0 \(d-new\)$/);

    const advice = adviseRollback(combineSignals(live, {}));
    expect(advice).toMatchObject({ action: 'rollback', severity: 'high', actWithin: '15 min' });
    expect(advice.findings[0]).toMatchObject({ issue: 'performance-degradation' });
    expect(advice.findings[0]!.evidence).toContain('measured via http-probe: p95 ');
  });

  it('a dead Prometheus: both metrics unknown with the reason, the advice still comes out from the rest', async () => {
    await deployWithBaseline('d1', 50);
    const dead = await freePort();
    const source = `{ type: prometheus, url: "http://127.0.0.1:${dead}", timeoutMs: 500, queries: { error_rate: "sum(rate(errors[{{window}}]))", latency_p95_ms: "p95" } }`;
    const live = await gatherLiveSignals(services(source), ENV);
    for (const signal of [live.metrics!.errorRate, live.metrics!.latencyRatio]) {
      expect(signal.status).toBe('unknown');
      expect((signal as { reason: string }).reason).toMatch(new RegExp(`^prometheus failed: .*127\\.0\\.0\\.1:${dead}`));
    }
    expect(live.health.status).toBe('ok');
    const advice = adviseRollback(combineSignals(live, {}));
    expect(advice.action).toBe('monitor');
    expect(advice.findings).toEqual([]);
    expect(advice.reasons.some((r) => r.startsWith('error rate unknown: prometheus failed:'))).toBe(true);
    expect(advice.caveats).toContain('the error rate is not known, so it cannot have fired: pass --error-rate if you have a number');
    // Read-only: the journal holds only the deploy the test wrote, and no event was appended.
    expect((await ledger.listOperations(ENV)).map((op) => op.id)).toEqual(['d1']);
    expect(await ledger.listEvents(ENV)).toEqual([]);
  });

  it('a flag overrides the measured value, and the reason says both', async () => {
    behaviour.errorEvery = 5;
    const live = await gatherLiveSignals(services(probe()), ENV);
    const signals = combineSignals(live, { errorRate: 0.01 });
    expect(signals.errorRate).toBe(0.01);
    expect(signals.origins!.errorRate).toMatchObject({ from: 'flag', flag: '--error-rate', measured: { status: 'measured', value: 0.2 } });
    const advice = adviseRollback(signals);
    expect(advice.findings).toEqual([]);
    expect(advice.reasons).toContain('error rate 1% is within 5%, given by --error-rate (http-probe measured 20%)');
  });

  it('no watch.source: unknown, said so, and nothing is probed', async () => {
    behaviour.errorEvery = 5;
    const live = await gatherLiveSignals(services(null), ENV);
    const unknown = { status: 'unknown', reason: `no watch.source is configured for ${ENV}`, missing: `environments.${ENV}.watch.source` };
    expect(live.metrics).toEqual({ errorRate: unknown, latencyRatio: unknown });
    expect(behaviour.served).toBe(0);
    // The advice says what is really missing, once for both metrics, and how to add it.
    const advice = adviseRollback(combineSignals(live, {}));
    expect(advice.caveats).toContain(
      `the error rate and the latency ratio are not known because environments.${ENV}.watch.source is not configured, so neither can have fired: add a watch source to measure them (prometheus or http-probe, docs/config.md#watch-window; each deploy then also watches the new release before marking it good), or pass --error-rate / --latency-ratio if you have numbers`,
    );
    expect(advice.caveats.join('\n')).not.toContain('the error rate is not known, so');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleHttp } from '../../src/adapters/metrics/http-probe/http-probe-sampler.js';
import { createPrometheusSource, PROMETHEUS_TYPE } from '../../src/adapters/metrics/prometheus/prometheus-source.js';
import { freePort, SAMPLE_APP_DIR } from '../../src/demo/sample-artifacts.js';
import type { MetricMeasurement, MetricSource } from '../../src/ports/metric-source.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus-server.js';
import { rejection } from '../support/rejection.js';
import { metricSourceContract } from '../contracts/metric-source-contract.js';

/*
 * The Prometheus source against a real Prometheus (Debian's package, started by hand: no systemd)
 * scraping the real sample app every second. The app runs with an errorRate fault of 0.25 and 30 ms
 * of latency; the HTTP probe drives its traffic, so the numbers Prometheus reports are checked
 * against what the probe itself saw.
 */

const ERROR_RATE = 0.25;
const LATENCY_MS = 30;

let root: string;
let appUrl: string;
let promPort: number;
let app: ChildProcess | undefined;
let prometheus: PrometheusServer | undefined;
let source: MetricSource;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` gives a value, for at most `timeoutMs`; the error says what was last seen. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last error: ${String(last)})\nprometheus log:\n${prometheus?.log().slice(-2000) ?? ''}`);
}

/** Waits for a scrape to show `expected` for an instant query, then returns the measurement. */
async function scraped(query: string, expected: number): Promise<MetricMeasurement> {
  return waitFor(`${query} == ${expected}`, async () => {
    const measurement = await source.measure(query, { durationMs: 60_000 });
    return measurement.value === expected ? measurement : undefined;
  });
}

/** Stops a child by its PID: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const burst = (requests: number) => sampleHttp({ url: appUrl, requests, concurrency: 2, timeoutMs: 2000 }, { maxDurationMs: 10_000 });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rewind-prometheus-'));

  const appDir = join(root, 'app');
  await cp(SAMPLE_APP_DIR, appDir, { recursive: true });
  await writeFile(join(appDir, 'release.json'), JSON.stringify({ version: '1.0.0', fault: { errorRate: ERROR_RATE, latencyMs: LATENCY_MS } }));
  const appPort = await freePort();
  appUrl = `http://127.0.0.1:${appPort}/`;
  app = spawn(process.execPath, [join(appDir, 'server.js')], { cwd: appDir, env: { ...process.env, PORT: String(appPort), DRAIN_MS: '0' }, stdio: 'ignore' });
  await waitFor('sample app /health', async () => ((await fetch(`${appUrl}health`).catch(() => undefined))?.ok ? true : undefined), 10_000);

  prometheus = await startPrometheus(join(root, 'prometheus'), [`127.0.0.1:${appPort}`]);
  promPort = Number(new URL(prometheus.url).port);
  source = createPrometheusSource({ url: prometheus.url, timeoutMs: 5000 });
  await scraped('up{job="sample"}', 1);
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await stop(app);
  if (root) await rm(root, { recursive: true, force: true });
});

// The contract first, on this file's Prometheus (the last case below stops it).
metricSourceContract({
  name: 'prometheus (real server scraping the sample app)',
  provider: 'prometheus',
  type: PROMETHEUS_TYPE,
  capabilities: { supportsHistory: true },
  create: async () => ({
    source: createPrometheusSource({ url: prometheus!.url, timeoutMs: 5000 }),
    withData: { query: 'up{job="sample"}', value: 1 },
    noData: { query: 'sum(http_requests_total{path="/nope"})' },
    invalid: 'sum(http_requests_total',
    unavailable: { source: createPrometheusSource({ url: `http://reader:contract-pw-4711@127.0.0.1:${await freePort()}`, timeoutMs: 2000 }), secret: 'contract-pw-4711' },
    cleanup: async () => undefined,
  }),
});

describe('PrometheusSource against a real Prometheus scraping the sample app', () => {
  it('instant queries: request counts, the injected error ratio and the latency histogram', async () => {
    const sample = await burst(40);
    // The probe's own view of the fault: exactly a quarter of 40, each at least the injected latency.
    expect(sample).toMatchObject({ total: 40, errors: 10, errorRate: ERROR_RATE, outcomes: { '200': 30, '500': 10 } });
    // Less a millisecond: node timers may fire up to 1 ms early against performance.now().
    expect(sample.p50!).toBeGreaterThanOrEqual(LATENCY_MS - 1);

    expect(await scraped('sum(http_requests_total{path="/"})', 40)).toEqual({ value: 40 });
    expect((await source.measure('sum(http_requests_total{path="/",status="500"})', { durationMs: 60_000 })).value).toBe(10);
    expect((await source.measure('sum(http_requests_total{path="/",status="500"}) / sum(http_requests_total{path="/"})', { durationMs: 60_000 })).value).toBe(ERROR_RATE);
    expect((await source.measure('sum(http_request_duration_seconds_count{path="/"})', { durationMs: 60_000 })).value).toBe(40);
    // 30 ms answers fall in the (0.025, 0.05] bucket, so the interpolated median lies inside it.
    const median = await source.measure('histogram_quantile(0.5, sum by (le) (http_request_duration_seconds_bucket{path="/"}))', { durationMs: 60_000 });
    expect(median.value!).toBeGreaterThan(0.025);
    expect(median.value!).toBeLessThanOrEqual(0.05);
    // {{window}} becomes the window as a PromQL duration.
    expect((await source.measure('max_over_time(http_requests_total{path="/",status="500"}[{{window}}])', { durationMs: 30_000 })).value).toBe(10);
    expect((await source.measure('scalar(sum(http_requests_total{path="/",status="200"}))', { durationMs: 60_000 })).value).toBe(30);
  });

  it('range queries: the counter over the window, in time order, newest last', async () => {
    await burst(20);
    await scraped('sum(http_requests_total{path="/"})', 60);
    // A step of half the scrape interval sees every scrape, including the one that saw 40.
    const range = await source.measure('sum(http_requests_total{path="/"})', { durationMs: 30_000, stepMs: 500 });
    expect(range.value).toBe(60);
    expect(range.samples).toContain(40);
    expect(range.count).toBeUndefined();
    expect(range.samples!.every((value, i, all) => i === 0 || value >= all[i - 1]!)).toBe(true);
    const errors = await source.measure('sum(http_requests_total{path="/",status="500"})', { durationMs: 30_000, stepMs: 500 });
    expect(errors.value).toBe(15);
    expect(errors.samples).toContain(10);
  });

  it('no data is null, never a number: no series, NaN, and a window before the app existed', async () => {
    expect(await source.measure('sum(http_requests_total{path="/nope"})', { durationMs: 60_000 })).toEqual({ value: null });
    expect(await source.measure('http_requests_total{path="/",status="503"}', { durationMs: 60_000 })).toEqual({ value: null });
    expect(await source.measure('vector(0) / vector(0)', { durationMs: 60_000 })).toEqual({ value: null });
    const before = await source.measure('sum(http_requests_total{path="/"})', { durationMs: 60_000, stepMs: 1000, endMs: Date.now() - 3_600_000 });
    expect(before).toEqual({ value: null, samples: [] });
  });

  it('a query Prometheus refuses and one with several series are REWIND_E_METRIC_QUERY_INVALID', async () => {
    const syntax = await rejection(source.measure('sum(http_requests_total', { durationMs: 60_000 }));
    expect(syntax.code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    expect(syntax.message).toContain('bad_data');
    const several = await rejection(source.measure('http_requests_total{path="/"}', { durationMs: 60_000 }));
    expect(several.code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    expect(several.message).toMatch(/returns 2 series .*status="200".*status="500"|returns 2 series .*status="500".*status="200"/);
  });

  // Last: it stops Prometheus.
  it('Prometheus down is REWIND_E_METRIC_UNAVAILABLE naming the URL, credentials redacted', async () => {
    const withCredentials = createPrometheusSource({ url: `http://reader:hunter2-secret@127.0.0.1:${promPort}`, timeoutMs: 2000 });
    // Basic auth that Prometheus does not check must not get in the way while it is up.
    expect((await withCredentials.measure('up{job="sample"}', { durationMs: 60_000 })).value).toBe(1);
    await prometheus!.stop();
    for (const window of [{ durationMs: 60_000 }, { durationMs: 60_000, stepMs: 1000 }]) {
      const error = await rejection(withCredentials.measure('up{job="sample"}', window));
      expect(error.code).toBe('REWIND_E_METRIC_UNAVAILABLE');
      const path = window.stepMs ? 'query_range' : 'query';
      expect(error.message).toBe(`prometheus at http://reader:***@127.0.0.1:${promPort}/api/v1/${path}: ECONNREFUSED`);
      expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
    }
  });
});

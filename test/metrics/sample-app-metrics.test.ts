import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleHttp } from '../../src/adapters/metrics/http-probe/http-probe-sampler.js';
import { freePort, SAMPLE_APP_DIR } from '../../src/demo/sample-artifacts.js';

/*
 * The sample app's fault injection and /metrics, seen through the HTTP probe: the real app process
 * with {errorRate: 0.5, errorAfterMs, latencyMs, latencyJitterMs}. Errors must start only after
 * errorAfterMs, hit exactly half of the ordinary requests, never touch /health or /metrics, and
 * every request must show up in the exposition.
 */

const ERROR_AFTER_MS = 2000;
const LATENCY_MS = 40;
const JITTER_MS = 20;
const TOKEN = 'metrics-test-token';

let root: string;
let url: string;
let app: ChildProcess | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function uptimeMs(): Promise<number> {
  const response = await fetch(`${url}health/internal`, { headers: { 'x-operator-token': TOKEN } });
  return ((await response.json()) as { uptimeMs: number }).uptimeMs;
}

/** The exposition as `series → value`, e.g. `http_requests_total{path="/",status="200"}` → 4. */
async function scrape(): Promise<{ contentType: string | null; series: Map<string, number>; text: string }> {
  const response = await fetch(`${url}metrics`);
  const text = await response.text();
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { contentType: response.headers.get('content-type'), series, text };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rewind-sample-metrics-'));
  const appDir = join(root, 'app');
  await cp(SAMPLE_APP_DIR, appDir, { recursive: true });
  await writeFile(
    join(appDir, 'release.json'),
    JSON.stringify({ version: '2.0.0', fault: { errorRate: 0.5, errorAfterMs: ERROR_AFTER_MS, latencyMs: LATENCY_MS, latencyJitterMs: JITTER_MS } }),
  );
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  app = spawn(process.execPath, [join(appDir, 'server.js')], {
    cwd: appDir,
    env: { ...process.env, PORT: String(port), OPERATOR_TOKEN: TOKEN, DRAIN_MS: '0' },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if ((await fetch(`${url}health`).catch(() => undefined))?.ok) break;
    if (Date.now() > deadline) throw new Error('sample app did not answer /health within 10 s');
    await sleep(25);
  }
});

afterAll(async () => {
  if (app && app.exitCode === null && app.signalCode === null) {
    const exited = new Promise((resolve) => app!.once('exit', resolve));
    process.kill(app.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(app!.pid!, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  if (root) await rm(root, { recursive: true, force: true });
});

describe('sample app: fault injection and /metrics', () => {
  it('adds latency to ordinary requests, starts errors after errorAfterMs, fails exactly errorRate of them, and counts all', async () => {
    const before = await sampleHttp({ url, requests: 6, concurrency: 3 }, { maxDurationMs: 5000 });
    expect(await uptimeMs(), 'the first burst must finish before errorAfterMs for this test to mean anything').toBeLessThan(ERROR_AFTER_MS);
    expect(before).toMatchObject({ total: 6, errors: 0, outcomes: { '200': 6 } });
    for (const ms of before.latenciesMs) {
      expect(ms).toBeGreaterThanOrEqual(LATENCY_MS - 1);
      expect(ms).toBeLessThan(LATENCY_MS + JITTER_MS + 500);
    }

    await sleep(ERROR_AFTER_MS - (await uptimeMs()) + 50);
    const after = await sampleHttp({ url, requests: 10, concurrency: 2 }, { maxDurationMs: 5000 });
    expect(after).toMatchObject({ total: 10, errors: 5, errorRate: 0.5, outcomes: { '200': 5, '500': 5 } });
    const health = await sampleHttp({ url: `${url}health`, requests: 5, concurrency: 1 }, { maxDurationMs: 5000 });
    expect(health).toMatchObject({ total: 5, errors: 0 });
    const missing = await sampleHttp({ url: `${url}no/such/page`, requests: 2, concurrency: 1 }, { maxDurationMs: 5000 });
    // Unknown paths are ordinary too: the fault continues its count (11th → 200 → 404, 12th → 500).
    expect(missing.outcomes).toEqual({ '404': 1, '500': 1 });

    const { contentType, series, text } = await scrape();
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(series.get('http_requests_total{path="/",status="200"}')).toBe(11);
    expect(series.get('http_requests_total{path="/",status="500"}')).toBe(5);
    expect(series.get('http_requests_total{path="other",status="404"}')).toBe(1);
    expect(series.get('http_requests_total{path="other",status="500"}')).toBe(1);
    expect(series.get('http_requests_total{path="/health/internal",status="200"}')).toBe(2);
    // /health: the readiness polls of beforeAll plus the 5 probed.
    expect(series.get('http_requests_total{path="/health",status="200"}')).toBeGreaterThanOrEqual(6);

    // The histogram: cumulative buckets, +Inf equal to the count, ordinary requests all ≥ 40 ms.
    const bucket = (path: string, le: string) => series.get(`http_request_duration_seconds_bucket{path="${path}",le="${le}"}`)!;
    expect(series.get('http_request_duration_seconds_count{path="/"}')).toBe(16);
    expect(bucket('/', '+Inf')).toBe(16);
    expect(bucket('/', '0.025')).toBe(0);
    const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
    for (let i = 1; i < les.length; i++) expect(bucket('/', les[i]!)).toBeGreaterThanOrEqual(bucket('/', les[i - 1]!));
    expect(series.get('http_request_duration_seconds_sum{path="/"}')!).toBeGreaterThanOrEqual((16 * (LATENCY_MS - 1)) / 1000);
    // /health is never delayed by the latency fault.
    const healthCount = series.get('http_request_duration_seconds_count{path="/health"}')!;
    expect(bucket('/health', '0.025')).toBe(healthCount);

    // The scrape itself is counted (by the next scrape) and never fails under the error fault.
    const again = await scrape();
    expect(again.series.get('http_requests_total{path="/metrics",status="200"}')).toBe(1);
  });
});

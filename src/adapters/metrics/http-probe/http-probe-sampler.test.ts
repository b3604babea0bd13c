import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpProbeSource, sampleHttp } from './http-probe-sampler.js';
import { loadAdapters } from '../../registry.js';

const { createMetricSource } = await loadAdapters();

interface TestServer {
  url: string;
  requests: IncomingMessage[];
  connections: number;
  maxInFlight: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

/** A loopback server whose handler the test writes; it tracks connections and requests in flight. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let inFlight = 0;
  const state: TestServer = {
    url: '',
    requests: [],
    connections: 0,
    maxInFlight: 0,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    state.requests.push(req);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    handler(req, res, state.requests.length);
  });
  server.on('connection', (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  servers.push(state);
  return state;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const ok = (res: ServerResponse, status = 200) => {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end('ok');
};

describe('sampleHttp', () => {
  it('sends exactly N requests, reuses keep-alive connections and never exceeds the concurrency', async () => {
    const server = await serve((_req, res) => setTimeout(() => ok(res), 5));
    const sample = await sampleHttp({ url: server.url, requests: 30, concurrency: 3 }, { maxDurationMs: 10_000 });
    expect(sample.total).toBe(30);
    expect(server.requests).toHaveLength(30);
    expect(sample.errors).toBe(0);
    expect(sample.errorRate).toBe(0);
    expect(sample.outcomes).toEqual({ '200': 30 });
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
    expect(server.connections).toBeLessThanOrEqual(3);
    expect(sample.latenciesMs).toHaveLength(30);
    for (const ms of sample.latenciesMs) expect(ms).toBeGreaterThanOrEqual(4);
    expect(sample.p50!).toBeLessThanOrEqual(sample.p95!);
    expect(sample.p95!).toBeLessThanOrEqual(sample.p99!);
    expect(sample.p99).toBe(Math.max(...sample.latenciesMs));
  });

  it('counts an errorRate fault exactly: every 4th answer a 500 gives 0.25; 3xx is not an error', async () => {
    const server = await serve((_req, res, n) => ok(res, n % 4 === 0 ? 500 : n % 4 === 1 ? 302 : 200));
    const sample = await sampleHttp({ url: server.url, requests: 40, concurrency: 2 }, { maxDurationMs: 10_000 });
    expect(sample.total).toBe(40);
    expect(sample.errors).toBe(10);
    expect(sample.errorRate).toBe(0.25);
    expect(sample.outcomes).toEqual({ '200': 20, '302': 10, '500': 10 });
    // Answered errors are still latencies: a slow 500 is slow.
    expect(sample.latenciesMs).toHaveLength(40);
  });

  it('sends the configured method and headers', async () => {
    const server = await serve((_req, res) => ok(res));
    await sampleHttp({ url: `${server.url}canary?x=1`, method: 'HEAD', headers: { 'x-canary': 'yes' }, requests: 2, concurrency: 1 }, { maxDurationMs: 5000 });
    expect(server.requests.map((req) => [req.method, req.url, req.headers['x-canary'], req.headers['user-agent']])).toEqual([
      ['HEAD', '/canary?x=1', 'yes', 'rewind-http-probe'],
      ['HEAD', '/canary?x=1', 'yes', 'rewind-http-probe'],
    ]);
  });

  it('counts a timeout as an error without a latency, and each request is bounded by timeoutMs', async () => {
    const server = await serve((_req, res, n) => (n % 2 === 0 ? undefined : ok(res)));
    const started = Date.now();
    const sample = await sampleHttp({ url: server.url, requests: 4, concurrency: 2, timeoutMs: 150 }, { maxDurationMs: 5000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sample.total).toBe(4);
    expect(sample.errors).toBe(2);
    expect(sample.outcomes).toEqual({ '200': 2, TIMEOUT: 2 });
    expect(sample.latenciesMs).toHaveLength(2);
  });

  it('counts refused connections as errors and reports no latency', async () => {
    const server = await serve((_req, res) => ok(res));
    const url = server.url;
    await server.close();
    const sample = await sampleHttp({ url, requests: 5, concurrency: 2 }, { maxDurationMs: 5000 });
    expect(sample).toMatchObject({ total: 5, errors: 5, errorRate: 1, latenciesMs: [], p50: null, p99: null, outcomes: { ECONNREFUSED: 5 } });
  });

  it('stops starting requests at maxDurationMs', async () => {
    const server = await serve((_req, res) => setTimeout(() => ok(res), 50));
    const started = Date.now();
    const sample = await sampleHttp({ url: server.url, requests: 1000, concurrency: 1 }, { maxDurationMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(sample.total).toBeGreaterThan(0);
    expect(sample.total).toBeLessThan(20);
    expect(server.requests).toHaveLength(sample.total);
  });

  it('refuses settings outside its bounds, naming the field', async () => {
    await expect(sampleHttp({ url: 'http://127.0.0.1:1/', requests: 0 }, { maxDurationMs: 10 })).rejects.toMatchObject({ code: 'REWIND_E_CONFIG_INVALID', details: { field: 'requests' } });
    expect(() => createHttpProbeSource({ url: 'http://127.0.0.1:1/', concurrency: 64 })).toThrow(/concurrency must be an integer from 1 to 16/);
    expect(() => createHttpProbeSource({ url: 'ftp://127.0.0.1/' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => createHttpProbeSource({ url: 'not a url' })).toThrow(/url is not a URL/);
  });
});

describe('createHttpProbeSource', () => {
  it('shares one burst between statistics asked for at the same time (the watch asks two per interval)', async () => {
    const server = await serve((_req, res, n) => ok(res, n % 2 === 0 ? 500 : 200));
    const source = createMetricSource({ type: 'http-probe', url: server.url, requests: 20, concurrency: 2 });
    const [errorRate, p95] = await Promise.all([source.measure('error_rate', { durationMs: 5000 }), source.measure('latency_p95', { durationMs: 5000 })]);
    // One burst of 20, not two interleaved ones that would split an alternating fault between them.
    expect(server.requests).toHaveLength(20);
    expect(errorRate).toMatchObject({ value: 0.5, count: 20, errors: 10 });
    expect(p95).toMatchObject({ count: 20, errors: 10 });
    expect(p95.samples).toEqual(errorRate.samples);
    // The next interval is a fresh burst.
    await source.measure('error_rate', { durationMs: 5000 });
    expect(server.requests).toHaveLength(40);
  });

  it('answers each statistic from a fresh burst: error_rate as a ratio, latencies in ms', async () => {
    const server = await serve((_req, res, n) => ok(res, n % 5 === 0 ? 503 : 200));
    const source = createMetricSource({ type: 'http-probe', url: server.url, requests: 10, concurrency: 2 });
    expect(source).toMatchObject({ type: 'http-probe', supportsHistory: false });
    const errorRate = await source.measure('error_rate', { durationMs: 5000 });
    expect(errorRate).toMatchObject({ value: 0.2, count: 10, errors: 2 });
    expect(errorRate.samples).toHaveLength(10);
    const p95 = await source.measure('latency_p95', { durationMs: 5000 });
    expect(server.requests).toHaveLength(20);
    expect(p95.value).toBe([...p95.samples!].sort((a, b) => a - b)[9]);
    for (const query of ['latency_p50', 'latency_p99']) expect((await source.measure(query, { durationMs: 5000 })).value).toBeGreaterThan(0);
  });

  it('gives null, not a number, when nothing answered, and rejects unknown queries before sending anything', async () => {
    const server = await serve((_req, res) => ok(res));
    const source = createHttpProbeSource({ url: server.url, requests: 3 });
    await expect(source.measure('latency_p42', { durationMs: 1000 })).rejects.toMatchObject({ code: 'REWIND_E_METRIC_QUERY_INVALID' });
    await expect(source.measure('error_rate', { durationMs: 0 })).rejects.toMatchObject({ code: 'REWIND_E_METRIC_QUERY_INVALID' });
    expect(server.requests).toHaveLength(0);
    const url = server.url;
    await server.close();
    const refused = createHttpProbeSource({ url, requests: 3 });
    expect(await refused.measure('latency_p50', { durationMs: 1000 })).toEqual({ value: null, samples: [], count: 3, errors: 3 });
    expect(await refused.measure('error_rate', { durationMs: 1000 })).toMatchObject({ value: 1 });
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrometheusSource, promDuration, redactUrl } from './prometheus-source.js';
import { rejection } from '../../../../test/support/rejection.js';

// The request side and the error mapping, against a loopback stand-in that answers what each test
// scripts; test/metrics/prometheus-source.test.ts holds the same source to a real Prometheus.

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
}

interface Scripted {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

const open: Scripted[] = [];

async function scripted(answer: (seen: Seen) => { status: number; body: string; contentType?: string } | 'hang'): Promise<Scripted> {
  const sockets = new Set<Socket>();
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = { method: req.method!, path: req.url!, headers: req.headers, form: Object.fromEntries(new URLSearchParams(body)) };
      seen.push(request);
      const reply = answer(request);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
      res.end(reply.body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const handle: Scripted = {
    base: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  open.push(handle);
  return handle;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

const success = (data: unknown) => ({ status: 200, body: JSON.stringify({ status: 'success', data }) });
const one = (value: string) => success({ resultType: 'vector', result: [{ metric: {}, value: [1717400000, value] }] });

describe('createPrometheusSource: requests', () => {
  it('instant query: POSTs the form to <base>/api/v1/query at the window end, {{window}} expanded', async () => {
    const server = await scripted(() => one('7'));
    const source = createPrometheusSource({ url: `http://${server.base}/prom`, timeoutMs: 4000, headers: { 'X-Scope-OrgID': 'team-a' } });
    expect(source).toMatchObject({ type: 'prometheus', supportsHistory: true });
    const measurement = await source.measure('sum(rate(http_requests_total{status=~"5.."}[{{window}}]))', { durationMs: 90_000, endMs: 1_717_400_000_500 });
    expect(measurement).toEqual({ value: 7 });
    expect(server.seen).toEqual([
      {
        method: 'POST',
        path: '/prom/api/v1/query',
        headers: expect.objectContaining({ 'content-type': 'application/x-www-form-urlencoded', 'x-scope-orgid': 'team-a' }),
        form: { query: 'sum(rate(http_requests_total{status=~"5.."}[90s]))', time: '1717400000.5', timeout: '4s' },
      },
    ]);
  });

  it('range query when the window has a step: start = end − duration, step in seconds', async () => {
    const server = await scripted(() => success({ resultType: 'matrix', result: [{ metric: {}, values: [[1, '1'], [2, '3']] }] }));
    const source = createPrometheusSource({ url: `http://${server.base}` });
    const measurement = await source.measure('up', { durationMs: 60_000, stepMs: 1500, endMs: 1_717_400_060_000 });
    expect(measurement).toEqual({ value: 3, samples: [1, 3] });
    expect(server.seen[0]).toMatchObject({ path: '/api/v1/query_range', form: { query: 'up', start: '1717400000', end: '1717400060', step: '1.5', timeout: '10s' } });
  });

  it('sends URL credentials as basic auth and never shows the password', async () => {
    const server = await scripted(() => ({ status: 401, body: 'Unauthorized', contentType: 'text/plain' }));
    const source = createPrometheusSource({ url: `http://reader:p%40ss-w0rd-x@${server.base}/` });
    const error = await rejection(source.measure('up', { durationMs: 1000 }));
    expect(server.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('reader:p@ss-w0rd-x').toString('base64')}`);
    expect(error.code).toBe('REWIND_E_METRIC_UNAVAILABLE');
    expect(error.message).toBe(`prometheus at http://reader:***@${server.base}/api/v1/query: HTTP 401: Unauthorized`);
    expect(JSON.stringify(error.toJSON())).not.toMatch(/p%40ss|p@ss|w0rd/);
  });

  it('refuses windows it cannot ask for, without sending anything', async () => {
    const server = await scripted(() => one('1'));
    const source = createPrometheusSource({ url: `http://${server.base}` });
    for (const window of [{ durationMs: 0 }, { durationMs: 60_000, stepMs: 0 }, { durationMs: 86_400_000, stepMs: 1000 }]) {
      expect((await rejection(source.measure('up', window))).code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    }
    expect((await rejection(source.measure('  ', { durationMs: 1000 }))).code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    expect(server.seen).toHaveLength(0);
  });

  it('refuses a bad config, naming the field', () => {
    expect(() => createPrometheusSource({ url: 'localhost:9090' })).toThrow(/url must be http:\/\/ or https:\/\//);
    expect(() => createPrometheusSource({ url: '::' })).toThrow(/url is not a URL/);
    expect(() => createPrometheusSource({ url: 'http://x', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('createPrometheusSource: errors', () => {
  it('a query Prometheus rejects (400 bad_data, 422 execution) is REWIND_E_METRIC_QUERY_INVALID with its reason', async () => {
    const server = await scripted((seen) =>
      seen.form.query === 'sum('
        ? { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unclosed left parenthesis' }) }
        : { status: 422, body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' }) },
    );
    const source = createPrometheusSource({ url: `http://${server.base}` });
    const syntax = await rejection(source.measure('sum(', { durationMs: 1000 }));
    expect(syntax.code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    expect(syntax.message).toBe(`prometheus at http://${server.base}/api/v1/query refused the query "sum(": bad_data: 1:5: parse error: unclosed left parenthesis`);
    expect((await rejection(source.measure('a / b', { durationMs: 1000 }))).code).toBe('REWIND_E_METRIC_QUERY_INVALID');
  });

  it('several series are REWIND_E_METRIC_QUERY_INVALID; no series is null', async () => {
    let result: unknown[] = [];
    const server = await scripted(() => success({ resultType: 'vector', result }));
    const source = createPrometheusSource({ url: `http://${server.base}` });
    expect(await source.measure('nothing', { durationMs: 1000 })).toEqual({ value: null });
    result = [{ metric: { a: '1' }, value: [1, '1'] }, { metric: { a: '2' }, value: [1, '2'] }];
    const error = await rejection(source.measure('x', { durationMs: 1000 }));
    expect(error.code).toBe('REWIND_E_METRIC_QUERY_INVALID');
    expect(error.message).toMatch(/returns 2 series .*sum\(\)/);
  });

  it('HTTP 5xx, a non-Prometheus body and an unexpected shape are REWIND_E_METRIC_UNAVAILABLE', async () => {
    const answers = [
      { status: 503, body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }) },
      { status: 502, body: '<html><body>Bad Gateway</body></html>', contentType: 'text/html' },
      { status: 200, body: '<html>login page</html>', contentType: 'text/html' },
      success({ resultType: 'vector', result: [{ metric: {} }] }),
    ];
    const server = await scripted(() => answers.shift()!);
    const source = createPrometheusSource({ url: `http://${server.base}` });
    const messages: string[] = [];
    for (let i = 0; i < 4; i++) {
      const error = await rejection(source.measure('up', { durationMs: 1000 }));
      expect(error.code).toBe('REWIND_E_METRIC_UNAVAILABLE');
      expect(error.details.url).toBe(`http://${server.base}/api/v1/query`);
      messages.push(error.message.replace(`prometheus at http://${server.base}/api/v1/query: `, ''));
    }
    expect(messages).toEqual([
      'HTTP 503: timeout: query timed out in expression evaluation',
      'HTTP 502: <html><body>Bad Gateway</body></html>',
      'HTTP 200 but the body is not a Prometheus API answer: <html>login page</html>',
      'unexpected answer: vector element has no [time, "value"]',
    ]);
  });

  it('no answer within timeoutMs and a refused connection are REWIND_E_METRIC_UNAVAILABLE naming the URL', async () => {
    const server = await scripted(() => 'hang');
    const slow = createPrometheusSource({ url: `http://${server.base}`, timeoutMs: 200 });
    const started = Date.now();
    const timeout = await rejection(slow.measure('up', { durationMs: 1000, stepMs: 100 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(timeout.message).toBe(`prometheus at http://${server.base}/api/v1/query_range: no answer within 200 ms`);
    await server.close();
    const refused = await rejection(createPrometheusSource({ url: `http://${server.base}` }).measure('up', { durationMs: 1000 }));
    expect(refused.code).toBe('REWIND_E_METRIC_UNAVAILABLE');
    expect(refused.message).toBe(`prometheus at http://${server.base}/api/v1/query: ECONNREFUSED`);
  });
});

describe('createPrometheusSource: redirects', () => {
  it('does not follow a redirect (to a login page, another host): REWIND_E_METRIC_UNAVAILABLE', async () => {
    const server = await scripted(() => ({ status: 302, body: '', contentType: 'text/plain' }));
    const error = await rejection(createPrometheusSource({ url: `http://${server.base}` }).measure('up', { durationMs: 1000 }));
    expect(error.code).toBe('REWIND_E_METRIC_UNAVAILABLE');
    expect(error.message).toMatch(/redirect/);
  });
});

describe('helpers', () => {
  it('promDuration prints whole seconds as s, anything else as ms', () => {
    expect(promDuration(60_000)).toBe('60s');
    expect(promDuration(1500)).toBe('1500ms');
  });

  it('redactUrl keeps the user, hides the password and drops the query string', () => {
    expect(redactUrl('https://u:secret@host:9090/prefix/?token=abc')).toBe('https://u:***@host:9090/prefix/');
    expect(redactUrl('http://host:9090')).toBe('http://host:9090/');
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { healthCheckSchema } from '../../config/config-schema.js';
import { checkHealth } from './http-health-check.js';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<{ url: string; hits: () => number[] }> {
  const times: number[] = [];
  server = createServer((req, res) => {
    times.push(Date.now());
    handler(req, res, times.length);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/health/internal`, hits: () => times };
}

const config = (over: Record<string, unknown>) => healthCheckSchema.parse({ retries: 0, backoffMs: 10, ...over });
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('HTTP health check', () => {
  it('sends the operator token header and checks JSON fields, with {{version}} substituted', async () => {
    const { url } = await serve((req, res) =>
      req.headers['x-operator-token'] === 's3cret-token' ? json(res, 200, { status: 'ok', version: '2.0.0', checks: { db: 'up' } }) : json(res, 401, {}),
    );
    const ok = await checkHealth(config({ url, headers: { 'x-operator-token': 's3cret-token' }, json: { status: 'ok', version: '{{version}}', 'checks.db': 'up' } }), '2.0.0');
    expect(ok.status).toBe('succeeded');
    const wrongVersion = await checkHealth(config({ url, headers: { 'x-operator-token': 's3cret-token' }, json: { version: '{{version}}' } }), '2.1.0');
    expect(wrongVersion).toMatchObject({ status: 'failed', detail: { lastReason: 'version is "2.0.0", expected "2.1.0"' } });
    const noToken = await checkHealth(config({ url }), '2.0.0');
    expect(noToken).toMatchObject({ status: 'failed', detail: { lastStatus: 401 } });
  });

  it('judges only fields the body has: "__proto__.__proto__" is not null for a body without it', async () => {
    const { url } = await serve((_req, res) => json(res, 200, { status: 'ok' }));
    // Read through inherited members, every JSON object body had Object.prototype's prototype: null.
    const inherited = await checkHealth(config({ url, json: { '__proto__.__proto__': null } }), '1.0.0');
    expect(inherited).toMatchObject({ status: 'failed', detail: { lastReason: '__proto__.__proto__ is undefined, expected null' } });
  });

  it('retries with exponential backoff until healthy', async () => {
    const { url, hits } = await serve((_req, res, hit) => (hit < 3 ? json(res, 503, {}) : json(res, 200, { status: 'ok' })));
    const outcome = await checkHealth(config({ url, retries: 5, backoffMs: 40 }), '1.0.0');
    expect(outcome).toMatchObject({ status: 'succeeded', detail: { attempts: 3 } });
    const [a, b, c] = hits();
    expect(b! - a!).toBeGreaterThanOrEqual(35);
    expect(c! - b!).toBeGreaterThanOrEqual(75); // doubled
  });

  it('gives up after 1 + retries attempts and reports the last reason', async () => {
    const { url, hits } = await serve((_req, res) => json(res, 500, { status: 'failing' }));
    const outcome = await checkHealth(config({ url, retries: 2, expectStatus: [200, 204] }), '1.0.0');
    expect(outcome).toMatchObject({ status: 'failed', detail: { attempts: 3, lastReason: 'status 500, expected 200|204' } });
    expect(hits()).toHaveLength(3);
  });

  it('times out a hanging attempt', async () => {
    const { url } = await serve(() => undefined); // never answers
    const outcome = await checkHealth(config({ url, timeoutMs: 100 }), '1.0.0');
    expect(outcome).toMatchObject({ status: 'failed', detail: { lastReason: 'timed out after 100 ms' } });
  });

  it('waits the readiness delay before the first probe', async () => {
    const { url, hits } = await serve((_req, res) => json(res, 200, {}));
    const started = Date.now();
    await checkHealth(config({ url, readinessDelayMs: 150 }), '1.0.0');
    expect(hits()[0]! - started).toBeGreaterThanOrEqual(145);
  });

  it('reports a refused connection as unhealthy, not as an exception', async () => {
    const { url } = await serve(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const outcome = await checkHealth(config({ url }), '1.0.0');
    expect(outcome).toMatchObject({ status: 'failed', detail: { lastReason: 'ECONNREFUSED' } });
  });
});

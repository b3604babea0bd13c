import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smokeSuiteSchema } from '../../config/parts/smoke-schema.js';
import { runSmokeSuite, type SmokeStepResult } from './smoke-runner.js';

// A tiny app with the seed-000 smoke surface, to test the runner's semantics (captures, cleanup,
// skips) without PM2; the sample app and the real suite are exercised in test/smoke-suite.test.ts.
describe('smoke suite runner', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const projects = new Map<number, string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
        const send = (status: number, value?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(value === undefined ? '' : JSON.stringify(value));
        };
        if (req.url === '/login') return send(200, { token: 'tok-1' });
        if (req.url === '/me') return req.headers.authorization === 'Bearer tok-1' ? send(200, { email: 'a@x' }) : send(401, { error: 'no' });
        if (req.url === '/projects' && req.method === 'POST') {
          const id = projects.size + 1;
          projects.set(id, JSON.parse(body).name);
          return send(201, { id });
        }
        if (req.url?.startsWith('/projects/') && req.method === 'DELETE') {
          projects.delete(Number(req.url.split('/')[2]));
          return send(204);
        }
        if (req.url === '/broken') return send(500, { error: 'boom' });
        if (req.url === '/slow') return void setTimeout(() => send(200, {}), 500);
        return send(404, { error: 'not found' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const suite = (steps: unknown[], cleanup: unknown[] = []) => smokeSuiteSchema.parse({ name: 't', baseUrl: base, steps, cleanup });
  const statuses = (detail: Record<string, unknown> | undefined) => (detail!.steps as SmokeStepResult[]).map((s) => `${s.phase}:${s.name}:${s.status}`);

  it('passes captures to later steps and runs cleanup, which removes the test data', async () => {
    const outcome = await runSmokeSuite(
      suite(
        [
          { name: 'login', request: { method: 'POST', url: '/login', json: { email: 'a@x' } }, capture: { token: 'token' } },
          { name: 'me', request: { url: '/me', headers: { authorization: 'Bearer {{token}}' } }, expect: { json: { email: 'a@x' } } },
          { name: 'create', request: { method: 'POST', url: '/projects', json: { name: 'p {{run_id}}' } }, expect: { status: 201, exists: ['id'] }, capture: { id: 'id' } },
        ],
        [{ name: 'delete', request: { method: 'DELETE', url: '/projects/{{id}}' }, expect: { status: [204, 404] } }],
      ),
      { version: '1.0.0', timeoutMs: 1000 },
    );
    expect(outcome.status, outcome.message).toBe('succeeded');
    expect(statuses(outcome.detail)).toEqual(['step:login:passed', 'step:me:passed', 'step:create:passed', 'cleanup:delete:passed']);
    expect(requests.filter((r) => r.startsWith('GET /me'))).toEqual(['GET /me Bearer tok-1']);
    expect(projects.size).toBe(0);
  });

  it('stops at the first failing step, skips the rest, and still runs cleanup', async () => {
    const announced: string[] = [];
    const outcome = await runSmokeSuite(
      suite(
        [
          { name: 'create', request: { method: 'POST', url: '/projects', json: { name: 'x' } }, expect: { status: 201 }, capture: { id: 'id' } },
          { name: 'broken', request: { url: '/broken' } },
          { name: 'never', request: { url: '/me' } },
        ],
        [{ name: 'delete', request: { method: 'DELETE', url: '/projects/{{id}}' }, expect: { status: 204 } }],
      ),
      { version: '1.0.0', timeoutMs: 1000, progress: async (update) => void announced.push(`${update.message} [${update.current}/${update.total}]`) },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain('broken failed: status 500, expected 200');
    expect(statuses(outcome.detail)).toEqual(['step:create:passed', 'step:broken:failed', 'step:never:skipped', 'cleanup:delete:passed']);
    // Each request is announced as it starts (a live view names the one in flight); skipped ones are not.
    expect(announced).toEqual(['1/4 create [1/4]', '2/4 broken [2/4]', '4/4 delete (cleanup) [4/4]']);
    expect(projects.size).toBe(0);
  });

  it('skips a cleanup step whose capture was never made, and fails on timeouts and wrong JSON', async () => {
    const outcome = await runSmokeSuite(
      suite([{ name: 'slow', request: { url: '/slow' }, timeoutMs: 50 }], [{ name: 'delete', request: { method: 'DELETE', url: '/projects/{{id}}' } }]),
      { version: '1.0.0', timeoutMs: 1000 },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toContain('timed out after 50 ms');
    expect(statuses(outcome.detail)).toEqual(['step:slow:failed', 'cleanup:delete:skipped']);
    const wrong = await runSmokeSuite(suite([{ name: 'me', request: { url: '/me', headers: { authorization: 'Bearer tok-1' } }, expect: { json: { email: '{{version}}' } } }]), {
      version: '9.9.9',
      timeoutMs: 1000,
    });
    expect(wrong.message).toContain('email is "a@x", expected "9.9.9"');
  });

  it('knows only the variables and captures the suite has: {{constructor}} is not set, a body without "constructor" does not have it', async () => {
    const unset = await runSmokeSuite(suite([{ name: 'me', request: { url: '/me', headers: { authorization: 'Bearer {{constructor}}' } } }]), { version: '1.0.0', timeoutMs: 1000 });
    expect(unset.status).toBe('failed');
    expect(unset.message).toContain('{{constructor}} is not set');
    const absent = await runSmokeSuite(suite([{ name: 'login', request: { method: 'POST', url: '/login' }, expect: { exists: ['token', 'constructor', 'toString.name'] } }]), { version: '1.0.0', timeoutMs: 1000 });
    expect(absent.message).toContain('constructor is missing from the response');
    const capture = await runSmokeSuite(suite([{ name: 'login', request: { method: 'POST', url: '/login' }, capture: { valueOf: 'constructor.name' } }]), { version: '1.0.0', timeoutMs: 1000 });
    expect(capture.message).toContain('capture valueOf: constructor.name is undefined, not a value');
    // Those names are ordinary once the suite defines them.
    const own = await runSmokeSuite(
      suite([
        { name: 'login', request: { method: 'POST', url: '/login' }, capture: { constructor: 'token' } },
        { name: 'me', request: { url: '/me', headers: { authorization: 'Bearer {{constructor}}' } }, expect: { json: { email: 'a@x' } } },
      ]),
      { version: '1.0.0', timeoutMs: 1000 },
    );
    expect(own.status, own.message).toBe('succeeded');
  });

  it('refuses a malformed suite with the key path named', () => {
    const result = smokeSuiteSchema.safeParse({ name: 't', steps: [{ name: 'x', request: { url: '/a', method: 'FETCH' } }] });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['steps', 0, 'request', 'method']);
  });
});

import { createServer, type Server } from 'node:http';

/**
 * A real local flag service speaking the admin API the HTTP flag adapter documents
 * (src/adapters/flags/http/http-flag-provider.ts): GET/PUT/DELETE /flags/<key>, flags held in
 * memory, every request checked for `Authorization: Bearer <token>`. What a test can set: answer
 * garbage (`corrupt`), fail the next n requests with 503, or hang them.
 */
export interface FlagService {
  url: string;
  token: string;
  /** The stored flags: key → the `enabled` value as stored (a test may store a non-boolean). */
  flags: Map<string, unknown>;
  /** Bumped by every PUT and DELETE that was accepted, changed or not: a redundant write shows. */
  revision: number;
  /** Every request: method, path, whether its token was right. */
  requests: { method: string; path: string; authorized: boolean; authorization: string | undefined }[];
  /** GET answers `200 <html>` instead of a flag. */
  corrupt: boolean;
  /** The next n requests answer 503 (after being counted). */
  failNext: number;
  /** The next n requests never answer. */
  hangNext: number;
  close(): Promise<void>;
}

export async function startFlagService(token = 'flag-admin-token-0123456789'): Promise<FlagService> {
  const service = { token, flags: new Map<string, unknown>(), revision: 0, requests: [], corrupt: false, failNext: 0, hangNext: 0 } as unknown as FlagService;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const authorized = req.headers.authorization === `Bearer ${service.token}`;
      service.requests.push({ method: req.method ?? '', path: req.url ?? '', authorized, authorization: req.headers.authorization });
      if (service.hangNext > 0) return void service.hangNext--;
      const answer = (status: number, body?: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
      if (service.failNext > 0) return void (service.failNext--, answer(503, { error: 'unavailable' }));
      if (!authorized) return void answer(401, { error: 'unauthorized' });
      const match = /^\/flags\/([^/?]+)$/.exec(req.url ?? '');
      if (!match) return void answer(404, { error: 'no such route' });
      const key = decodeURIComponent(match[1]!);
      if (req.method === 'GET') {
        if (service.corrupt) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return void (service.flags.has(key) ? answer(200, { key, enabled: service.flags.get(key) }) : answer(404, { error: 'flag not found' }));
      }
      if (req.method === 'PUT') {
        let body: { enabled?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { enabled?: unknown };
        } catch {
          return void answer(400, { error: 'not JSON' });
        }
        if (typeof body.enabled !== 'boolean') return void answer(400, { error: 'enabled must be a boolean' });
        const created = !service.flags.has(key);
        service.revision++;
        service.flags.set(key, body.enabled);
        return void answer(created ? 201 : 200, { key, enabled: body.enabled });
      }
      if (req.method === 'DELETE') {
        if (!service.flags.delete(key)) return void answer(404, { error: 'flag not found' });
        service.revision++;
        return void answer(204);
      }
      answer(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  service.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return service;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HaproxyRouter } from './haproxy-router.js';

const backends = {
  stable: { name: 'stable', host: '127.0.0.1', port: 3001 },
  canary: { name: 'canary', host: '127.0.0.1', port: 3002 },
};

/**
 * A stand-in stats socket that answers like haproxy 2.6 (one line in, answer, close) for the error
 * paths real haproxy rarely shows; the real one runs in test/routers/haproxy-router.test.ts.
 */
function fakeRuntimeApi(path: string, answer: (command: string) => string): Promise<{ server: Server; lines: string[] }> {
  const lines: string[] = [];
  const server = createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (!buffer.includes('\n')) return;
      const line = buffer.slice(0, buffer.indexOf('\n'));
      lines.push(line);
      socket.end(line.split(';').map((command) => `${answer(command.trim())}\n`).join(''));
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, lines })));
}

describe('HaproxyRouter', () => {
  let root: string;
  let socket: string;
  let server: Server | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-haproxy-unit-'));
    socket = join(root, 'admin.sock');
  });
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('describes runtime-API commands, no process, the larger weight first so no step has both at 0', () => {
    const router = new HaproxyRouter({ backends, backend: 'app', socket });
    const toCanary = router.describeSetWeights({ stable: 0, canary: 100 });
    expect(toCanary.commands).toEqual([]);
    expect(toCanary.effects[1]).toBe(`haproxy runtime API ${socket}: set weight app/canary 100; set weight app/stable 0`);
    expect(router.describeSetWeights({ stable: 90, canary: 10 }).effects[1]).toContain('set weight app/stable 90; set weight app/canary 10');
  });

  it('sets both weights in one request and confirms them by reading back', async () => {
    const weights: Record<string, number> = { stable: 100, canary: 0 };
    const api = await fakeRuntimeApi(socket, (command) => {
      const set = /^set weight app\/(\w+) (\d+)$/.exec(command);
      if (set) {
        weights[set[1]!] = Number(set[2]);
        return '';
      }
      const get = /^get weight app\/(\w+)$/.exec(command);
      return get ? `${weights[get[1]!]} (initial 1)\n` : 'Unknown command.\n';
    });
    server = api.server;
    const router = new HaproxyRouter({ backends, backend: 'app', socket });
    expect(await router.setWeights({ stable: 10, canary: 90 })).toMatchObject({ status: 'succeeded', detail: { confirmed: true } });
    expect(api.lines).toEqual(['get weight app/stable; get weight app/canary', 'set weight app/canary 90; set weight app/stable 10', 'get weight app/stable; get weight app/canary']);
    expect(await router.currentWeights()).toEqual({ stable: 10, canary: 90 });
  });

  it('reports haproxy refusing the change with its answer, and puts the previous split back', async () => {
    // A static balance algorithm refuses weights other than 0 % and 100 %, after the first command applied.
    const api = await fakeRuntimeApi(socket, (command) => {
      if (command === 'set weight app/canary 50') return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
      return command.startsWith('get') ? `${command.endsWith('stable') ? 100 : 0} (initial 1)\n` : '';
    });
    server = api.server;
    const outcome = await new HaproxyRouter({ backends, backend: 'app', socket }).setWeights({ stable: 50, canary: 50 });
    expect(outcome).toMatchObject({
      status: 'failed',
      code: 'REWIND_E_ROUTER_FAILED',
      detail: { answer: expect.stringContaining('static LB algorithm'), previous: { stable: 100, canary: 0 }, restored: true },
    });
    expect(api.lines.at(-1)).toBe('set weight app/stable 100; set weight app/canary 0');
  });

  it('fails with a coded outcome when the socket is missing, and refuses bad input first', async () => {
    const router = new HaproxyRouter({ backends, backend: 'app', socket, timeoutMs: 500 });
    expect(await router.setWeights({ stable: 100, canary: 0 })).toMatchObject({ status: 'failed', code: 'REWIND_E_ROUTER_FAILED', message: expect.stringContaining(socket) });
    await expect(router.currentWeights()).rejects.toMatchObject({ code: 'REWIND_E_ROUTER_FAILED' });
    await expect(router.setWeights({ stable: 100, canary: 100 })).rejects.toMatchObject({ code: 'REWIND_E_ROUTER_INVALID' });
    expect(() => new HaproxyRouter({ backends, backend: 'app; shutdown frontend fe', socket })).toThrow(/backend must be/);
    expect(() => new HaproxyRouter({ backends: { ...backends, canary: { ...backends.stable } }, backend: 'app', socket })).toThrow(/must differ/);
  });
});

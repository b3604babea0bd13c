import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { rollback } from '../src/core/operations/rollback.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

/** Sends requests back to back over keep-alive connections until stopped; counts answers by version and failures. */
function load(port: number, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const seen: Record<string, number> = {};
  let failures = 0;
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          if (res.statusCode === 200) {
            const version = (JSON.parse(body) as { version: string }).version;
            seen[version] = (seen[version] ?? 0) + 1;
          } else failures++;
          resolve();
        });
      });
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end();
    });
  const workers = Array.from({ length: connections }, async () => {
    while (running) await one();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return { seen, failures };
    },
  };
}

// PM2 cluster mode starts the new worker before stopping the old one; the app closes gracefully.
describe('a rollback through PM2 cluster reload under load', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await createSandbox();
    await sandbox.release('3.0.0');
    await sandbox.release('3.1.0');
    expect((await deploy(sandbox.services, ENV, '3.0.0')).ok).toBe(true);
    expect((await deploy(sandbox.services, ENV, '3.1.0')).ok).toBe(true);
  });
  afterAll(async () => sandbox?.close());

  it('fails no request while switching back to the last known good release', async () => {
    const traffic = load(sandbox.port, 4);
    await new Promise((r) => setTimeout(r, 200));
    const outcome = await rollback(sandbox.services, ENV, {});
    await new Promise((r) => setTimeout(r, 200));
    const { seen, failures } = await traffic.stop();
    expect(outcome.ok).toBe(true);
    expect(failures).toBe(0);
    expect(seen['3.1.0']).toBeGreaterThan(0);
    expect(seen['3.0.0']).toBeGreaterThan(0);
  });
});

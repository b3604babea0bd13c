import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaproxyRouter } from '../../src/adapters/routers/haproxy/haproxy-router.js';
import { HaproxyRuntimeClient } from '../../src/adapters/routers/haproxy/haproxy-runtime-client.js';
import { haproxyCfg } from '../support/proxy-servers.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import {
  accepts,
  requireProgram,
  sample,
  startBackends,
  startProxy,
  waitUntil,
  type Backends,
  type ProxyProcess,
  type RouterHarness,
} from '../support/router-traffic.js';
import { trafficRouterContract } from '../contracts/traffic-router-contract.js';

describe('HaproxyRouter against a real haproxy', () => {
  let root: string;
  let backends: Backends;
  let haproxy: ProxyProcess | undefined;
  let harness: RouterHarness;
  let socket: string;

  beforeAll(async () => {
    requireProgram('haproxy', '-v', 'haproxy');
    root = await mkdtemp(join(tmpdir(), 'rewind-haproxy-'));
    backends = await startBackends();
    const port = await freePort();
    const cfg = join(root, 'haproxy.cfg');
    socket = join(root, 'admin.sock');
    await writeFile(cfg, haproxyCfg(root, port, [{ ...backends.stable, weight: 100 }, { ...backends.canary, weight: 0 }]));
    haproxy = startProxy(['haproxy', '-db', '-f', cfg]);
    await waitUntil('haproxy listening', async () => {
      if (haproxy!.child.exitCode !== null) throw new Error(`haproxy exited: ${haproxy!.output()}`);
      return existsSync(socket) && (await accepts(port));
    });
    const router = new HaproxyRouter({ backends: { stable: backends.stable, canary: backends.canary }, backend: 'app', socket });
    harness = { router, port, label: 'haproxy' };
  });

  afterAll(async () => {
    await harness?.router.close();
    await haproxy?.stop();
    await backends?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  // The contract's cases run on this file's proxy; the cases below are haproxy's own.
  trafficRouterContract({ name: 'haproxy', provider: 'haproxy', create: async () => harness });

  it('switches without a reload: the same process, and the same client connection now reaches canary', async () => {
    const { router, port } = harness;
    await router.setWeights({ stable: 100, canary: 0 });
    const pid = async () => /^Pid: (\d+)$/m.exec(await new HaproxyRuntimeClient(socket).send(['show info']))?.[1];
    const pidBefore = await pid();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await sample(port, 5, agent);
    expect(await router.setWeights({ stable: 0, canary: 100 })).toMatchObject({ status: 'succeeded' });
    const after = await sample(port, 5, agent);
    agent.destroy();
    expect(before.order).toEqual(Array(5).fill('stable'));
    expect(after.order).toEqual(Array(5).fill('canary'));
    // One TCP connection throughout: nothing was closed under the client.
    expect(new Set([...before.localPorts, ...after.localPorts]).size).toBe(1);
    expect(await pid()).toBe(pidBefore);
    expect(pidBefore).toBe(String(haproxy!.child.pid));
  });

  it('a server name haproxy does not know fails with its answer and changes no weight', async () => {
    await harness.router.setWeights({ stable: 90, canary: 10 });
    const wrong = new HaproxyRouter({ backends: { stable: backends.stable, canary: { ...backends.canary, name: 'no-such-server' } }, backend: 'app', socket });
    const outcome = await wrong.setWeights({ stable: 50, canary: 50 });
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ROUTER_FAILED', message: expect.stringContaining('No such server') });
    expect(await harness.router.currentWeights()).toEqual({ stable: 90, canary: 10 });
    const tally = await sample(harness.port, 100);
    expect(tally.stable).toBeGreaterThanOrEqual(85);
  });
});

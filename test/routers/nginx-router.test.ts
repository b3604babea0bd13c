import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NginxRouter } from '../../src/adapters/routers/nginx/nginx-router.js';
import { nginxWorkers } from '../../src/adapters/routers/nginx/nginx-workers.js';
import { STABLE_ONLY } from '../../src/adapters/routers/traffic-weights.js';
import { nginxConf } from '../support/proxy-servers.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
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

describe('NginxRouter against a real nginx', () => {
  let root: string;
  let backends: Backends;
  let nginx: ProxyProcess | undefined;
  let harness: RouterHarness;
  let options: ConstructorParameters<typeof NginxRouter>[0];
  const executor = new ProcessExecutor();

  beforeAll(async () => {
    requireProgram('nginx', '-v', 'nginx');
    root = await mkdtemp(join(tmpdir(), 'rewind-nginx-'));
    // Workers run as nobody when nginx starts as root; they must be able to reach the temp paths.
    await chmod(root, 0o755);
    backends = await startBackends();
    const port = await freePort();
    const configFile = join(root, 'nginx.conf');
    await writeFile(configFile, nginxConf(root, port));
    options = {
      backends: { stable: backends.stable, canary: backends.canary },
      upstreamFile: join(root, 'upstream.conf'),
      prefix: root,
      configFile,
      errorLog: join(root, 'error.log'),
      pidFile: join(root, 'nginx.pid'),
    };
    const router = new NginxRouter(options, executor);
    await writeFile(options.upstreamFile, router.render(STABLE_ONLY));
    nginx = startProxy(['nginx', '-p', root, '-c', configFile, '-e', join(root, 'error.log')]);
    await waitUntil('nginx listening', async () => {
      if (nginx!.child.exitCode !== null) throw new Error(`nginx exited: ${nginx!.output()}`);
      return accepts(port);
    });
    harness = { router, port, label: 'nginx' };
  });

  afterAll(async () => {
    await harness?.router.close();
    await nginx?.stop();
    await backends?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  // The contract's cases run on this file's proxy; the cases below are nginx's own.
  trafficRouterContract({ name: 'nginx', provider: 'nginx', create: async () => harness });

  it('confirms a switch only once the old workers stopped accepting (reload alone returns ~100 ms early)', async () => {
    const master = nginx!.child.pid!;
    const before = nginxWorkers(master)!.map((w) => w.pid);
    const outcome = await harness.router.setWeights({ stable: 50, canary: 50 });
    expect(outcome).toMatchObject({ status: 'succeeded', detail: { confirmed: true } });
    const after = nginxWorkers(master)!;
    expect(after.filter((w) => before.includes(w.pid) && !w.shuttingDown)).toEqual([]);
    expect(after.some((w) => !before.includes(w.pid))).toBe(true);
  });

  it('a config nginx -t rejects leaves the old file in place, reloads nothing, and nginx still serves', async () => {
    await harness.router.setWeights(STABLE_ONLY);
    const fileBefore = await readFile(options.upstreamFile, 'utf8');
    const workersBefore = nginxWorkers(nginx!.child.pid!)!.map((w) => w.pid).sort();
    // A canary that does not resolve (.invalid is reserved, RFC 6761): nginx -t fails "host not found in upstream".
    const broken = new NginxRouter({ ...options, backends: { ...options.backends, canary: { name: 'canary', host: 'canary.invalid', port: 80 } } }, executor);
    const outcome = await broken.setWeights({ stable: 50, canary: 50 });
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ROUTER_FAILED', detail: { exitCode: 1, stderr: expect.stringContaining('canary.invalid') } });
    expect(await readFile(options.upstreamFile, 'utf8')).toBe(fileBefore);
    expect(nginxWorkers(nginx!.child.pid!)!.map((w) => w.pid).sort()).toEqual(workersBefore);
    expect(await harness.router.currentWeights()).toEqual(STABLE_ONLY);
    expect(await sample(harness.port, 20)).toMatchObject({ stable: 20, canary: 0, connectionErrors: 0, badStatus: 0 });
  });
});

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HaproxyRouter } from '../../src/adapters/routers/haproxy/haproxy-router.js';
import { NginxRouter } from '../../src/adapters/routers/nginx/nginx-router.js';
import { nginxPaths, startHaproxy, startNginx, type ProxyServer } from './proxy-servers.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { TrafficRouter } from '../../src/ports/traffic-router.js';
import { createSandbox, type Sandbox } from './sandbox.js';

export type RouterType = 'haproxy' | 'nginx';

/**
 * The shortest canary the schema allows, for tests that run many deploys: one partial step (50 %),
 * one measurement per step and a one-measurement watch window, the HTTP probe measuring each slot
 * on its own port.
 */
export const shortCanaryYaml = (port: number) => `      canary:
        steps: [50]
        measurements: 1
    watch:
      windowMs: 1000
      intervalMs: 1000
      source:
        type: http-probe
        url: http://127.0.0.1:${port}/
        requests: 20
        concurrency: 2`;

export interface SlottedSandbox extends Sandbox {
  slots: { blue: number; green: number };
  proxy: ProxyServer;
  /** A router of the test's own on the same proxy, to read the live split. */
  router: TrafficRouter;
  /** What one slot serves, asked on its own port. */
  onSlot(slot: 'blue' | 'green'): Promise<{ status: number; version?: string; pid?: number }>;
}

/**
 * The sample app under real PM2 in two slots (blue, green) behind a real haproxy or nginx that listens
 * on the sandbox's port — so the sandbox's health URL and `served()` go through the router.
 */
export async function createSlottedSandbox(options: {
  router: RouterType;
  strategy: 'blue-green' | 'canary';
  extraYaml?: (port: number) => string;
  /** More environment for both slots' app processes (e.g. DRAIN_MS). */
  appEnv?: Record<string, string>;
}): Promise<SlottedSandbox> {
  const slots = { blue: await freePort(), green: await freePort() };
  const routerYaml = (root: string) =>
    options.router === 'haproxy'
      ? `        type: haproxy\n        socket: ${join(root, 'proxy', 'admin.sock')}\n        backend: app`
      : Object.entries({ type: 'nginx', ...nginxPaths(join(root, 'proxy')) })
          .map(([k, v]) => `        ${k}: ${v}`)
          .join('\n');
  const sandbox = await createSandbox({
    runtimeYaml: (root, port) => `        type: pm2
        name: rw-${port}
        script: server.js
        execMode: fork
        instances: 1
        pm2Home: ${join(root, 'pm2')}
        env:
          OPERATOR_TOKEN: demo-operator-token${Object.entries(options.appEnv ?? {})
            .map(([key, value]) => `\n          ${key}: ${JSON.stringify(value)}`)
            .join('')}
        killTimeoutMs: 2000
      slots:
        blue:
          port: ${slots.blue}
        green:
          port: ${slots.green}`,
    databaseYaml: (root, port) => `    traffic:
      strategy: ${options.strategy}
      router:
${routerYaml(root)}
${options.extraYaml?.(port) ?? ''}`,
  });
  const backends = { stable: { name: 'blue', host: '127.0.0.1', port: slots.blue }, canary: { name: 'green', host: '127.0.0.1', port: slots.green } };
  let proxy: ProxyServer;
  let router: TrafficRouter;
  try {
    const proxyRoot = join(sandbox.root, 'proxy');
    await mkdir(proxyRoot, { recursive: true });
    if (options.router === 'haproxy') {
      const started = await startHaproxy(proxyRoot, [{ ...backends.stable, weight: 100 }, { ...backends.canary, weight: 0 }], sandbox.port);
      proxy = started;
      router = new HaproxyRouter({ backends, backend: 'app', socket: started.socket });
    } else {
      const nginx = new NginxRouter({ backends, ...nginxPaths(proxyRoot) }, new ProcessExecutor());
      proxy = await startNginx(proxyRoot, nginx.render({ stable: 100, canary: 0 }), { port: sandbox.port });
      router = nginx;
    }
  } catch (error) {
    // The caller gets no sandbox to close (a proxy that is not installed, or did not start): close it here.
    await sandbox.close();
    throw error;
  }
  const close = sandbox.close.bind(sandbox);
  return Object.assign(sandbox, {
    slots,
    proxy,
    router,
    async onSlot(slot: 'blue' | 'green') {
      try {
        const response = await fetch(`http://127.0.0.1:${slots[slot]}/health/internal`, { headers: { 'x-operator-token': 'demo-operator-token' }, signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as { version?: string; pid?: number };
        return { status: response.status, version: body.version, pid: body.pid };
      } catch {
        return { status: 0 };
      }
    },
    async close() {
      await router.close().catch(() => undefined);
      await proxy.stop();
      await close();
    },
  });
}

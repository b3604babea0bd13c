import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pm2Runtime } from '../src/adapters/runtimes/pm2/pm2-runtime.js';
import { buildSampleArtifact, freePort } from '../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { runCli } from './support/sandbox.js';

/**
 * Two environments on one host share one PM2 daemon (one PM2_HOME), the usual single-host setup.
 * PM2's own reload lock covers the whole daemon, so two reloads at once used to fail one deploy and
 * then its automatic rollback ("Reload in progress"), leaving a human to clean up.
 */
describe('two environments on one PM2 daemon (real PM2)', () => {
  let root: string;
  let configPath: string;
  let ledger: Ledger;
  const ports: Record<string, number> = {};
  const envs = ['blue-team', 'green-team'];

  function envYaml(env: string, port: number): string {
    return `  ${env}:
    target:
      type: releases
      path: ${join(root, env)}
      keep: 5
      runtime:
        type: pm2
        name: shared-${env}-${port}
        script: server.js
        execMode: cluster
        instances: 2
        pm2Home: ${join(root, 'pm2')}
        env:
          PORT: "${port}"
        killTimeoutMs: 2000
    health:
      url: http://127.0.0.1:${port}/health
      expectStatus: 200
      json:
        version: "{{version}}"
      timeoutMs: 1000
      retries: 8
      backoffMs: 100
      maxBackoffMs: 400
`;
  }

  const served = async (env: string) => {
    const response = await fetch(`http://127.0.0.1:${ports[env]}/health`, { signal: AbortSignal.timeout(2000) });
    return ((await response.json()) as { version: string }).version;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-shared-pm2-'));
    for (const env of envs) ports[env] = await freePort();
    configPath = join(root, 'rewind.yaml');
    await writeFile(configPath, `version: 1\nledger: ${join(root, 'rewind.db')}\nlog:\n  file: ${join(root, 'events.log')}\nenvironments:\n${envs.map((e) => envYaml(e, ports[e]!)).join('')}`);
    for (const env of envs) {
      for (const version of ['1.0.0', '1.1.0']) {
        const dir = await buildSampleArtifact(join(root, 'artifacts', env), { version, fault: { bootDelayMs: 300 } });
        const registered = await runCli(['release', 'register', env, version, '--artifact', dir, '--ci', 'passed', '--config', configPath]);
        expect(registered.code, registered.stderr).toBe(0);
      }
      const first = await runCli(['deploy', env, '1.0.0', '--config', configPath]);
      expect(first.code, first.stderr).toBe(0);
    }
    ledger = await openLedger(join(root, 'rewind.db'));
  });

  afterAll(async () => {
    await ledger?.close();
    const runtime = new Pm2Runtime({ type: 'pm2', name: `shared-${envs[0]}-${ports[envs[0]!]}`, script: 'server.js', execMode: 'cluster', instances: 2, env: {}, pm2Home: join(root, 'pm2'), listenTimeoutMs: 8000, killTimeoutMs: 2000 }, new ProcessExecutor());
    await runtime.destroy().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('deploys to both at the same moment: both succeed, one waits for the other and says so', async () => {
    const [a, b] = await Promise.all(envs.map((env) => runCli(['deploy', env, '1.1.0', '--json', '--config', configPath], 120_000)));
    for (const result of [a!, b!]) expect(result.code, result.stderr + result.stdout).toBe(0);
    for (const env of envs) {
      expect(await served(env)).toBe('1.1.0');
      expect((await ledger.getRelease(env, '1.1.0'))?.state).toBe('good');
      expect((await ledger.findLastKnownGood(env, '1.1.0'))?.version).toBe('1.0.0');
      expect(await ledger.getLock(env)).toBeUndefined();
      expect(await ledger.findRunningOperations(env)).toEqual([]);
    }
    // The two reloads were serialised on the shared daemon: when the activations overlapped in
    // time, the later one says it waited for the other environment's reload.
    const activations = [a!, b!].map((r) => {
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const at = (e: Record<string, unknown> | undefined) => Date.parse(String(e?.time));
      const start = events.find((e) => e.event === 'step_start' && e.step === 'activate');
      const end = events.find((e) => e.event === 'step_complete' && e.step === 'activate');
      return { start: at(start), end: at(end), message: String(end?.message) };
    });
    const [x, y] = activations as [(typeof activations)[0], (typeof activations)[0]];
    const overlapped = x.start < y.end && y.start < x.end;
    if (overlapped) expect(activations.some((act) => /waited [\d.]+ s for the shared PM2 daemon \(shared-/.test(act.message))).toBe(true);
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLDER_FILE } from '../src/adapters/runtimes/pm2/pm2-daemon-files.js';
import { Pm2Runtime } from '../src/adapters/runtimes/pm2/pm2-runtime.js';
import { buildSampleArtifact, freePort } from '../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { runCli, waitFor } from './support/sandbox.js';

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
        // The first environment's 1.1.0 boots slowly: its reload holds the daemon long enough (two
        // workers, one after the other) for the second deploy to reach its own activate meanwhile.
        const bootDelayMs = env === envs[0] && version === '1.1.0' ? 4000 : 300;
        const dir = await buildSampleArtifact(join(root, 'artifacts', env), { version, fault: { bootDelayMs } });
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
    // The second deploy starts once the first holds the daemon for its activate (the holder file
    // names it), so the two reloads certainly meet: timing the steps from their events could not
    // tell, on a loaded machine, whether the daemon itself was wanted by both at once.
    const [first, second] = envs as [string, string];
    const a = runCli(['deploy', first, '1.1.0', '--json', '--config', configPath], 120_000);
    const holder = join(root, 'pm2', HOLDER_FILE);
    await waitFor(async () => {
      let record: { app?: string; action?: string } = {};
      try {
        record = JSON.parse(await readFile(holder, 'utf8')) as typeof record;
      } catch {
        // Not written yet, or cleared between two holders.
      }
      return record.app === `shared-${first}-${ports[first]}` && record.action === 'activate';
    }, 60_000);
    const b = runCli(['deploy', second, '1.1.0', '--json', '--config', configPath], 120_000);
    const results = await Promise.all([a, b]);
    for (const result of results) expect(result.code, result.stderr + result.stdout).toBe(0);
    for (const env of envs) {
      expect(await served(env)).toBe('1.1.0');
      expect((await ledger.getRelease(env, '1.1.0'))?.state).toBe('good');
      expect((await ledger.findLastKnownGood(env, '1.1.0'))?.version).toBe('1.0.0');
      expect(await ledger.getLock(env)).toBeUndefined();
      expect(await ledger.findRunningOperations(env)).toEqual([]);
    }
    // The two reloads were serialised on the shared daemon: the second says whom it waited for.
    const activateMessage = (stdout: string) => {
      const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      return String(events.find((e) => e.event === 'step_complete' && e.step === 'activate')?.message);
    };
    expect(activateMessage(results[1]!.stdout)).toMatch(new RegExp(`waited [\\d.]+ s for the shared PM2 daemon \\(shared-${first}-${ports[first]}: activate by pid \\d+\\)`));
  });
});

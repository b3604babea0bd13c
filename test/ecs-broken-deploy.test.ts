import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FAKE_CREDENTIALS, FakeAws } from './support/fake-aws.js';
import { runCli, type CliResult } from './support/sandbox.js';

const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const CREDENTIALS = { ...FAKE_CREDENTIALS, AWS_PROFILE: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };

/**
 * Issue 16, ECS: the broken-deploy story through the built CLI against the fake ECS API (the real
 * @aws-sdk/client-ecs in rewind). A revision whose tasks never start trips the deployment circuit
 * breaker; ECS rolls back by itself and the service is "stable" again, on the old revision: rewind
 * records the deploy as failed (REWIND_E_ECS_CIRCUIT_BREAKER_ROLLBACK) and its rollback settles on the
 * LKG's revision. Without a circuit breaker the wait times out and rewind's rollback is what moves
 * the service back (UpdateService to the LKG's revision). Bad input is refused before anything changes.
 */
describe('ECS: circuit breaker rollback detected, timeout rolled back by rewind, bad input (fake ECS API)', () => {
  let fake: FakeAws;
  let root: string;
  let config: string;
  let ledger: Ledger;
  const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--config', config], 60_000, CREDENTIALS);
  const revision = (cluster: string, service: string) => fake.service(cluster, service).deployments.map((d) => `${d.status}:${d.taskDefinition.split('/').pop()}:${d.rolloutState}`);
  const updates = () => fake.calls.filter((c) => c === 'ecs:UpdateService').length;

  beforeAll(async () => {
    fake = await FakeAws.start({ tickMs: 20, neverStable: ['broken'] });
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(0)}` }]); // shop:1, what ran before rewind
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${DIGEST(1)}` }]); // shop:2 -> 1.0.0
    fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web-broken@${DIGEST(2)}` }]); // shop:3 -> 1.1.0, never starts
    fake.registerTaskDefinition('loose', [{ name: 'web', image: 'registry.example/web:latest' }]);
    fake.createService('prod', 'web', 'shop:1', 2, true);
    fake.createService('prod', 'legacy', 'shop:1', 2, false);
    root = await mkdtemp(join(tmpdir(), 'ecs-cli-'));
    config = join(root, 'rewind.yaml');
    const target = (service: string, extra = '') => `    target:\n      type: ecs\n      cluster: prod\n      service: ${service}\n      region: ${fake.region}\n      endpoint: ${fake.endpoint}\n      pollMs: 20\n      stableTimeoutMs: 3000\n${extra}`;
    await writeFile(config, `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  production:\n${target('web')}  legacy:\n${target('legacy')}  missing:\n${target('nope')}`);
    ledger = await openLedger(join(root, 'rewind.db'));
  });
  afterAll(async () => {
    await ledger?.close();
    await fake?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('registers task definition revisions as releases and deploys 1.0.0', async () => {
    for (const [env, version, rev] of [['production', '1.0.0', 2], ['production', '1.1.0', 3], ['legacy', '1.0.0', 2], ['legacy', '1.1.0', 3]] as const) {
      const registered = await cli(['release', 'register', env, version, '--task-definition', `shop:${rev}`, '--ci', 'passed']);
      expect(registered.code, registered.stderr).toBe(0);
    }
    for (const env of ['production', 'legacy']) {
      const deployed = await cli(['deploy', env, '1.0.0']);
      expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
      // The SDK's Node-version notice is not rewind's output.
      expect(deployed.stderr).not.toMatch(/NodeVersionSupportWarning/);
    }
    expect(revision('prod', 'web')).toEqual(['PRIMARY:shop:2:COMPLETED']);
    expect(revision('prod', 'legacy')).toEqual(['PRIMARY:shop:2:COMPLETED']);
  });

  it('a revision that trips the circuit breaker: deploy fails though ECS is "stable", recorded failed, the LKG revision runs', async () => {
    const result = await cli(['deploy', 'production', '1.1.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    expect(revision('prod', 'web')).toEqual(['PRIMARY:shop:2:COMPLETED']);
    expect(fake.runningImages('prod', 'web')).toEqual([`registry.example/web@${DIGEST(1)}`, `registry.example/web@${DIGEST(1)}`]);
    expect((await ledger.getRelease('production', '1.1.0'))?.state).toBe('failed');
    const ops = await ledger.listOperations('production', { limit: 5 });
    const deploy = ops.find((o) => o.kind === 'deploy' && o.toVersion === '1.1.0')!;
    expect(deploy.error).toMatch(/^activate: ECS rolled service web in cluster prod .* back to shop:2 instead of shop:3 \(deployment circuit breaker/);
    const steps = (await ledger.listSteps(deploy.id)).map((s) => `${s.stepId}:${s.state}`);
    expect(steps.at(-1)).toBe('activate:failed');
    expect(ops[0]).toMatchObject({ kind: 'rollback', fromVersion: '1.1.0', toVersion: '1.0.0', state: 'succeeded', parentId: deploy.id });
    const status = JSON.parse((await cli(['status', 'production', '--json'])).stdout) as { current: { version: string }; agreement: { agree: boolean }; lock: unknown };
    expect(status).toMatchObject({ current: { version: '1.0.0' }, agreement: { agree: true }, lock: null });
  });

  it('without a circuit breaker the wait times out and rewind rolls the service back to the LKG revision itself', async () => {
    const before = updates();
    const result = await cli(['deploy', 'legacy', '1.1.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    const deploy = (await ledger.listOperations('legacy', { limit: 5 })).find((o) => o.kind === 'deploy' && o.toVersion === '1.1.0')!;
    expect(deploy.error).toMatch(/not stable on shop:3 after 3000 ms/);
    // Two UpdateService calls: to shop:3 (the deploy) and back to shop:2 (rewind's rollback).
    expect(updates() - before).toBe(2);
    expect(revision('prod', 'legacy')).toEqual(['PRIMARY:shop:2:COMPLETED']);
    expect((await ledger.getRelease('legacy', '1.1.0'))?.state).toBe('failed');
    expect((await ledger.listOperations('legacy', { limit: 1 }))[0]).toMatchObject({ kind: 'rollback', toVersion: '1.0.0', state: 'succeeded' });
  });

  it('bad input is refused with its code before anything changes', async () => {
    const before = { updates: updates(), web: revision('prod', 'web'), releases: (await ledger.listReleases('production', { limit: 100 })).length };
    const cases: [string[], RegExp][] = [
      [['release', 'register', 'production', '2.0.0', '--task-definition', 'shop'], /REWIND_E_USAGE/],
      [['release', 'register', 'production', '2.0.0', '--task-definition', 'loose:1'], /REWIND_E_IMAGE_DIGEST_REQUIRED/],
      [['release', 'register', 'production', '2.0.0', '--task-definition', 'shop:99'], /REWIND_E_ECS_NOT_FOUND/],
      [['release', 'register', 'production', '2.0.0', '--task-definition', 'shop:2', '--artifact', root], /REWIND_E_USAGE/],
      [['deploy', 'missing', '1.0.0'], /REWIND_E_/],
    ];
    for (const [args, code] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr + result.stdout, args.join(' ')).toMatch(code);
    }
    const missing = await cli(['release', 'register', 'missing', '1.0.0', '--task-definition', 'shop:2']);
    expect(missing.code).toBe(0);
    const deploy = await cli(['deploy', 'missing', '1.0.0']);
    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr + deploy.stdout).toMatch(/REWIND_E_ECS_NOT_FOUND|service nope/);
    expect({ updates: updates(), web: revision('prod', 'web'), releases: (await ledger.listReleases('production', { limit: 100 })).length }).toEqual(before);
  });
});

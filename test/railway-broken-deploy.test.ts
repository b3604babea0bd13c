import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FakeRailway } from './support/fake-railway.js';
import { runCli, waitFor, type CliResult } from './support/sandbox.js';

const TOKEN_ENV = 'REWIND_TEST_RW_TOKEN';
const commit = (n: number) => String(n).repeat(40).slice(0, 40).replace(/[^0-9a-f]/g, 'a');

/** Every file under `dir`, as text: what a token must never be found in. */
function filesUnder(dir: string): string {
  let all = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    all += statSync(path).isDirectory() ? filesUnder(path) : readFileSync(path).toString('latin1');
  }
  return all;
}

/**
 * Issue 16, Railway: the broken-deploy story through the built CLI against the fake Railway GraphQL
 * API. 1.0.0 is a deployment Railway built from a push (registered by its commit); 1.1.0's deployment
 * goes live and then CRASHES: the deploy fails, and the automatic rollback brings 1.0.0's recorded
 * deployment back with deploymentRollback (image and service variables restored), although the
 * deployment before 1.1.0 in Railway's list is not 1.0.0's. Bad input is refused with its code before
 * anything changes; a 5xx mid-rollout is retried and journaled; no token is in any output or file.
 */
describe('Railway: crash after going live rolled back to the LKG deployment, bad input, 5xx (fake Railway API)', () => {
  let fake: FakeRailway;
  let root: string;
  let config: string;
  let ledger: Ledger;
  let token: string;
  let serviceId: string;
  let environmentId: string;
  const outputs: string[] = [];
  const cli = async (args: string[], env: NodeJS.ProcessEnv = { [TOKEN_ENV]: token }): Promise<CliResult> => {
    const result = await runCli([...args, '--config', config], 60_000, env);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const mutations = () => fake.calls.filter((c) => c.startsWith('mutation:'));
  const live = (image: string) => waitFor(async () => fake.running(serviceId, environmentId).join() === image, 5000, 10);

  beforeAll(async () => {
    fake = await FakeRailway.start({ crashAfterMs: 40 });
    const projectId = fake.project();
    environmentId = fake.environment(projectId, 'production');
    const stagingId = fake.environment(projectId, 'staging');
    serviceId = fake.service(projectId, 'web');
    fake.setVariables(serviceId, environmentId, { FEATURE: 'v1' });
    token = fake.token('project', [projectId], environmentId);
    fake.push(serviceId, environmentId, { commit: commit(0), image: 'registry.example/web:0.9.0' }); // what ran before rewind
    root = await mkdtemp(join(tmpdir(), 'railway-cli-'));
    config = join(root, 'rewind.yaml');
    const target = (env: string, service = serviceId) =>
      `    target:\n      type: railway\n      projectId: ${projectId}\n      environmentId: ${env}\n      serviceId: ${service}\n      endpoint: ${fake.endpoint}\n      tokenEnv: ${TOKEN_ENV}\n      pollMs: 20\n      settleMs: 300\n      deployTimeoutMs: 5000\n`;
    await writeFile(config, `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  production:\n${target(environmentId)}  staging:\n${target(stagingId)}  missing:\n${target(environmentId, '00000000-0000-4000-8000-00000000dead')}`);
    ledger = await openLedger(join(root, 'rewind.db'));
    await live('registry.example/web:0.9.0');
  });
  afterAll(async () => {
    await ledger?.close();
    await fake?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('registers the deployment Railway built from a commit and deploys 1.0.0 (already live: nothing to change)', async () => {
    const d1 = fake.push(serviceId, environmentId, { commit: commit(1), image: 'registry.example/web:1.0.0' });
    await live('registry.example/web:1.0.0');
    const registered = await cli(['release', 'register', 'production', '1.0.0', '--deployment', commit(1).slice(0, 12), '--commit', commit(1), '--ci', 'passed']);
    expect(registered.code, registered.stderr).toBe(0);
    const deployed = await cli(['deploy', 'production', '1.0.0']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    expect(mutations()).toEqual([]);
    const status = JSON.parse((await cli(['status', 'production', '--json'])).stdout) as { current: { version: string }; agreement: { agree: boolean } };
    expect(status).toMatchObject({ current: { version: '1.0.0' }, agreement: { agree: true } });
    expect(JSON.stringify(status)).toContain(d1.id);
  });

  it('1.1.0 goes live and crashes: the deploy fails and the rollback brings 1.0.0\'s deployment back (deploymentRollback), variables too', async () => {
    const d1 = fake.deployments.find((d) => d.image === 'registry.example/web:1.0.0')!;
    // 1.1.0 was built by Railway earlier (and superseded): rewind's deploy brings it back with
    // deploymentRollback, with the variables it was built with, and it crashes once it is live.
    const d2 = fake.history(serviceId, environmentId, { commit: commit(2), image: 'registry.example/web:1.1.0', behaviour: 'crash', variables: { FEATURE: 'v2' } });
    expect((await cli(['release', 'register', 'production', '1.1.0', '--deployment', d2.id, '--ci', 'passed'])).code).toBe(0);
    const result = await cli(['deploy', 'production', '1.1.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    expect((await ledger.getRelease('production', '1.1.0'))?.state).toBe('failed');
    const ops = await ledger.listOperations('production', { limit: 5 });
    const deploy = ops.find((o) => o.kind === 'deploy' && o.toVersion === '1.1.0')!;
    expect(deploy.error).toMatch(/^activate: Railway deployment [0-9a-f-]{36} of 1\.1\.0 ended CRASHED/);
    expect(ops[0]).toMatchObject({ kind: 'rollback', fromVersion: '1.1.0', toVersion: '1.0.0', state: 'succeeded', parentId: deploy.id });
    // The deploy rolled Railway to 1.1.0's deployment, the rollback to 1.0.0's, each by its recorded id.
    const rollbacks = fake.requests.filter((r) => r.body.includes('deploymentRollback'));
    expect(rollbacks.map((r) => (JSON.parse(r.body) as { variables: { id: string } }).variables.id)).toEqual([d2.id, d1.id]);
    expect(fake.running(serviceId, environmentId)).toEqual(['registry.example/web:1.0.0']);
    expect(fake.variablesOf(serviceId, environmentId)).toEqual({ FEATURE: 'v1' });
    const status = JSON.parse((await cli(['status', 'production', '--json'])).stdout) as { current: { version: string }; agreement: { agree: boolean }; lock: unknown };
    expect(status).toMatchObject({ current: { version: '1.0.0' }, agreement: { agree: true }, lock: null });
  });

  it('bad input is refused with its code, naming the object, before anything changes', async () => {
    fake.history(serviceId, environmentId, { commit: commit(3), image: 'registry.example/web:1.2.0' });
    const before = { mutations: mutations().length, running: fake.running(serviceId, environmentId), releases: (await ledger.listReleases('production', { limit: 100 })).length };
    const cases: [string[], NodeJS.ProcessEnv | undefined, RegExp][] = [
      [['release', 'register', 'missing', '1.2.0', '--deployment', commit(3)], undefined, /REWIND_E_RAILWAY_NOT_FOUND[\s\S]*00000000-0000-4000-8000-00000000dead/],
      [['release', 'register', 'staging', '1.2.0', '--deployment', commit(3)], undefined, /REWIND_E_RAILWAY_UNAUTHORIZED[\s\S]*Not Authorized/],
    ];
    for (const [args, env, expected] of cases) {
      const result = await cli(args, env ?? { [TOKEN_ENV]: token });
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr + result.stdout, args.join(' ')).toMatch(expected);
    }
    // A deploy with the token gone: refused with its code, and 1.0.0 still runs.
    expect((await cli(['release', 'register', 'production', '1.2.0', '--deployment', commit(3), '--ci', 'passed'])).code).toBe(0);
    const noToken = await cli(['deploy', 'production', '1.2.0'], { [TOKEN_ENV]: '' });
    expect(noToken.code).not.toBe(0);
    expect(noToken.stderr + noToken.stdout).toMatch(new RegExp(`REWIND_E_PREFLIGHT_FAILED[\\s\\S]*nothing changed[\\s\\S]*environment variable ${TOKEN_ENV} \\(target.tokenEnv\\) is empty or missing`));
    expect({ mutations: mutations().length, running: fake.running(serviceId, environmentId), releases: (await ledger.listReleases('production', { limit: 100 })).length - 1 }).toEqual(before);
  });

  it('--dry-run names the deploymentRollback it would send and sends nothing', async () => {
    const before = fake.calls.filter((c) => c.startsWith('mutation:')).length;
    const plan = await cli(['deploy', 'production', '1.2.0', '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/mutation deploymentRollback\(id: the deployment of 1\.2\.0\)/);
    expect(mutations().length).toBe(before);
  });

  it('an API answering 503 mid-rollout: the reads are retried, the retries are in the step journal, the deploy completes', async () => {
    fake.outage = 503;
    fake.outageCount = 2;
    const result = await cli(['deploy', 'production', '1.2.0', '--json']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(fake.calls.filter((c) => c.startsWith('outage:'))).toHaveLength(2);
    const deploy = (await ledger.listOperations('production', { limit: 1 }))[0]!;
    expect(deploy).toMatchObject({ kind: 'deploy', toVersion: '1.2.0', state: 'succeeded' });
    const steps = await ledger.listSteps(deploy.id);
    expect(JSON.stringify(steps.map((s) => s.detail))).toMatch(/"retries":\[\{"operation":"[a-z]+","attempt":1,"reason":"HTTP 503"/);
    expect(fake.running(serviceId, environmentId)).toEqual(['registry.example/web:1.2.0']);
  });

  it('the token was sent as Project-Access-Token and is in no output, ledger row, event log or state file', async () => {
    expect(fake.requests.some((r) => r.headers['project-access-token'] === token)).toBe(true);
    expect(fake.requests.some((r) => r.headers.authorization !== undefined)).toBe(false);
    expect(outputs.join('\n')).not.toContain(token);
    expect(filesUnder(root)).not.toContain(token);
  });
});

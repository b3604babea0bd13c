import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FakeVercel, type FakeVercelDeployment } from './support/fake-vercel.js';
import { runCli, type CliResult } from './support/sandbox.js';

const TEAM = 'team_acme';
const TOKEN = 'vercel-token-SECRET-cli-51e0d7';
const OTHER_TEAM_TOKEN = 'vercel-token-OTHER-cli-0b3c';
const COMMIT_100 = '1000000000000000000000000000000000000abc';
const COMMIT_120 = '1200000000000000000000000000000000000abc';

/**
 * Issue 16, Vercel: the broken-deploy story through the built CLI against the fake Vercel REST API
 * (test/support/fake-vercel.ts; real Vercel is NOT exercised). Releases are existing production
 * deployments, registered by commit, by meta value and by id; deploy promotes and waits for
 * production. 1.1.0 fails its health check and is left in place (--no-auto-rollback), so it is
 * Vercel's "previous production deployment" from then on; 1.2.0 fails too and the automatic rollback
 * promotes 1.0.0's deployment (the LKG), not 1.1.0's. 5xx answers mid-rollout are retried and
 * journaled; past the bound the deploy fails and is rolled back. Bad input is refused, coded, with
 * nothing changed. The token never appears in any output, ledger row, event or file rewind writes.
 */
describe('Vercel: promote by recorded outcome (LKG), 5xx mid-rollout, bad input (fake Vercel API)', () => {
  let fake: FakeVercel;
  let root: string;
  let config: string;
  let ledger: Ledger;
  const outputs: string[] = [];
  const deployments: Record<string, FakeVercelDeployment> = {};
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const result = await runCli([...args, '--config', config], 60_000, { VERCEL_TOKEN: TOKEN, OTHER_VERCEL_TOKEN: OTHER_TEAM_TOKEN, ...env });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const production = () => fake.project('shop').productionId;
  const promotesTo = () => fake.calls.filter((c) => c.includes('/promote/')).map((c) => Object.entries(deployments).find(([, d]) => c.endsWith(d.id))?.[0] ?? c);

  beforeAll(async () => {
    fake = await FakeVercel.start({ promoteDelayMs: 80 });
    fake.addToken(TOKEN, [TEAM]);
    fake.addToken(OTHER_TEAM_TOKEN, ['team_other']);
    fake.createProject('shop', TEAM);
    deployments.base = fake.createDeployment('shop', { version: '0.9.0', commit: 'b'.repeat(40) });
    fake.setProduction('shop', deployments.base.id);
    deployments['1.0.0'] = fake.createDeployment('shop', { version: '1.0.0', commit: COMMIT_100 });
    deployments['1.1.0'] = fake.createDeployment('shop', { version: '1.1.0', meta: { rewindVersion: '1.1.0' }, healthy: false });
    deployments['1.2.0'] = fake.createDeployment('shop', { version: '1.2.0', commit: COMMIT_120, healthy: false });
    deployments['1.3.0'] = fake.createDeployment('shop', { version: '1.3.0', meta: { rewindVersion: '1.3.0' } });
    deployments.broken = fake.createDeployment('shop', { version: '2.0.0', meta: { rewindVersion: '2.0.0' }, readyState: 'ERROR' });
    root = await mkdtemp(join(tmpdir(), 'vercel-cli-'));
    config = join(root, 'rewind.yaml');
    const target = (project: string, extra = '') =>
      `    target:\n      type: vercel\n      projectId: ${project}\n      teamId: ${TEAM}\n      apiUrl: ${fake.apiUrl}\n      pollMs: 20\n      promoteTimeoutMs: 5000\n      requestTimeoutMs: 2000\n      attempts: 3\n${extra}`;
    const health = `    health:\n      url: ${fake.productionUrl('shop')}/health\n      json: { version: "{{version}}" }\n      retries: 2\n      backoffMs: 50\n      timeoutMs: 1000\n`;
    await writeFile(
      config,
      `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  production:\n${target('shop')}${health}  nowhere:\n${target('nope')}  otherteam:\n${target('shop', '      tokenEnv: OTHER_VERCEL_TOKEN\n')}  notoken:\n${target('shop', '      tokenEnv: VERCEL_TOKEN_NOT_SET\n')}`,
    );
    ledger = await openLedger(join(root, 'rewind.db'));
  });
  afterAll(async () => {
    await ledger?.close();
    await fake?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('registers deployments by commit, meta value and id, recording each deployment id; deploys 1.0.0 by promoting it', async () => {
    for (const args of [
      ['1.0.0', '--commit', COMMIT_100],
      ['1.1.0'],
      ['1.2.0', '--deployment', deployments['1.2.0']!.id],
      ['1.3.0'],
    ]) {
      const registered = await cli(['release', 'register', 'production', ...args, '--ci', 'passed']);
      expect(registered.code, registered.stderr).toBe(0);
    }
    expect((await ledger.getRelease('production', '1.0.0'))?.commit).toBe(COMMIT_100);
    // Registered by id without --commit: the release records the commit Vercel built it from.
    expect((await ledger.getRelease('production', '1.2.0'))?.commit).toBe(COMMIT_120);
    // The plan names the promote and changes nothing.
    const plan = await cli(['deploy', 'production', '1.0.0', '--dry-run', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Vercel POST /v10/projects/<project id>/promote/');
    expect(fake.calls.filter((c) => c.includes('/promote/'))).toEqual([]);
    expect(production()).toBe(deployments.base!.id);
    // The API answers 503 twice mid-rollout (the promote itself): retried, and the retries journaled in the activate step.
    fake.failNext(2, 503, /promote/);
    const deployed = await cli(['deploy', 'production', '1.0.0']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    expect(production()).toBe(deployments['1.0.0']!.id);
    expect(promotesTo()).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    const deploy = (await ledger.listOperations('production', { limit: 1 }))[0]!;
    const activate = (await ledger.listSteps(deploy.id)).find((s) => s.stepId === 'activate')!;
    expect((activate.detail as { retries: { call: string; reason: string }[] }).retries).toEqual([
      { call: `POST /v10/projects/${fake.project('shop').id}/promote/${deployments['1.0.0']!.id}`, attempt: 1, reason: 'HTTP 503 internal_server_error' },
      { call: `POST /v10/projects/${fake.project('shop').id}/promote/${deployments['1.0.0']!.id}`, attempt: 2, reason: 'HTTP 503 internal_server_error' },
    ]);
  });

  it('1.1.0 fails health and is left in place; 1.2.0 fails too and the automatic rollback promotes the LKG (1.0.0), not the previous deployment (1.1.0)', async () => {
    const left = await cli(['deploy', 'production', '1.1.0', '--no-auto-rollback']);
    expect(left.code, left.stderr).toBe(8);
    expect(production()).toBe(deployments['1.1.0']!.id);
    const result = await cli(['deploy', 'production', '1.2.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    expect(promotesTo()).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.1.0', '1.2.0', '1.0.0']);
    expect(production()).toBe(deployments['1.0.0']!.id);
    expect(await (await fetch(fake.productionUrl('shop'))).text()).toBe('1.0.0');
    expect((await ledger.getRelease('production', '1.2.0'))?.state).toBe('failed');
    const ops = await ledger.listOperations('production', { limit: 3 });
    expect(ops[0]).toMatchObject({ kind: 'rollback', fromVersion: '1.2.0', toVersion: '1.0.0', state: 'succeeded' });
    const status = await cli(['status', 'production']);
    expect(status.stdout).toMatch(/1\.0\.0/);
    // Which Vercel deployment each prepared release is, as recorded when it was registered.
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) expect(status.stdout).toContain(`${version}: deployment #${deployments[version]!.id}`);
  });

  it('an API answering 5xx on every attempt mid-rollout: the deploy fails, is rolled back, and status says what runs', async () => {
    fake.failNext(50, 503, /promote/);
    try {
      const failed = await cli(['deploy', 'production', '1.3.0', '--json']);
      expect(failed.code, failed.stderr).toBe(7);
      expect(failed.stdout + failed.stderr).toMatch(/promote\/dpl_\w+ answered HTTP 503/);
    } finally {
      fake.clearFaults();
    }
    const failedDeploy = (await ledger.listOperations('production', { limit: 5 })).find((o) => o.kind === 'deploy' && o.toVersion === '1.3.0')!;
    expect(failedDeploy.error).toMatch(/promote\/dpl_\w+ answered HTTP 503 internal_server_error after 3 attempt/);
    expect(production()).toBe(deployments['1.0.0']!.id);
    const status = JSON.parse((await cli(['status', 'production', '--json'])).stdout) as { current: { version: string }; agreement: { agree: boolean }; lock: unknown; target: { revisions: Record<string, { deployment: string }> } };
    expect(status).toMatchObject({ current: { version: '1.0.0' }, agreement: { agree: true }, lock: null });
    expect(status.target.revisions['1.3.0']).toEqual({ deployment: deployments['1.3.0']!.id });
  });

  it('the token is in no output, ledger row, event, plan or file rewind wrote', async () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
    const written = files(root).filter((f) => !f.endsWith('rewind.yaml'));
    expect(written.some((f) => f.endsWith('rewind.db'))).toBe(true);
    expect(written.some((f) => f.endsWith('events.log'))).toBe(true);
    expect(written.some((f) => f.endsWith('vercel-deployment.json'))).toBe(true);
    for (const file of written) {
      const bytes = readFileSync(file);
      expect(bytes.includes(TOKEN), file).toBe(false);
      expect(bytes.includes(OTHER_TEAM_TOKEN), file).toBe(false);
    }
    const audit = JSON.stringify(await ledger.listEvents('production', { limit: 1000 }));
    expect(audit).not.toContain(TOKEN);
    for (const output of outputs) {
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(OTHER_TEAM_TOKEN);
    }
  });
});

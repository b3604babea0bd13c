import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { railwayTargetSchema } from '../../src/adapters/targets/railway/railway-config.js';
import { RailwayTarget } from '../../src/adapters/targets/railway/railway-target.js';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { targetContract, type TargetHarness } from '../contracts/target-contract.js';
import { FakeRailway } from '../support/fake-railway.js';

const TOKEN_ENV = 'REWIND_TEST_RAILWAY_TOKEN';
const sha = (version: string) => Buffer.from(version.padEnd(20, '.')).toString('hex').slice(0, 40);

let fake: FakeRailway;
let projectId: string;
let environmentId: string;
let serviceId: string;
let token: string;

async function railwayHarness(extra: Record<string, unknown> = {}): Promise<TargetHarness & { root: string; target: RailwayTarget }> {
  const root = await mkdtemp(join(tmpdir(), 'railway-'));
  const config = railwayTargetSchema.parse({ type: 'railway', projectId, environmentId, serviceId, endpoint: fake.endpoint, tokenEnv: TOKEN_ENV, pollMs: 10, settleMs: 50, deployTimeoutMs: 5000, ...extra });
  const target = new RailwayTarget({ ...config, stateDir: join(root, 'state') });
  const releases = new Map<string, { artifact: string; digest: string; version: string }>();
  return {
    root,
    target,
    async release(version) {
      if (!releases.has(version)) {
        // A deployment Railway built earlier for this version: in the history, removed by a later one.
        const d = fake.history(serviceId, environmentId, { commit: sha(version), image: `registry.example/web:${version}` });
        const { artifact } = await target.artifactFromDeployment({ version, deployment: d.id });
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    async answering() {
      return [...new Set(fake.running(serviceId, environmentId).map((image) => image.replace('registry.example/web:', '')))].sort();
    },
    async cleanup() {
      await target.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

beforeAll(async () => {
  fake = await FakeRailway.start({ crashAfterMs: 20 });
  projectId = fake.project();
  environmentId = fake.environment(projectId, 'production');
  serviceId = fake.service(projectId, 'web');
  token = fake.token('project', [projectId], environmentId);
  process.env[TOKEN_ENV] = token;
  fake.push(serviceId, environmentId, { commit: sha('base'), image: 'registry.example/web:base' });
  // The base deployment builds for a while: the contract compares what answers before and after, so
  // start once it serves (otherwise it may come up in the middle of a case).
  for (const until = Date.now() + 10_000; !fake.running(serviceId, environmentId).includes('registry.example/web:base'); ) {
    if (Date.now() > until) throw new Error(`the base deployment never went live: ${fake.statuses(serviceId, environmentId).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});
afterAll(async () => {
  delete process.env[TOKEN_ENV];
  await fake?.stop();
});

targetContract({
  name: 'railway (fake Railway GraphQL API on loopback)',
  provider: 'railway',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: () => railwayHarness(),
});

describe('railway target: the LKG deployment by record, crashes, bad input, faults', () => {
  let harness: Awaited<ReturnType<typeof railwayHarness>>;
  beforeAll(async () => {
    harness = await railwayHarness();
  });
  afterAll(async () => {
    await harness?.cleanup();
  });

  it('a deployment that crashes after going live fails the activation; going back rolls back to the recorded deployment, not the previous one', async () => {
    const good = await harness.release('3.0.0');
    expect(await harness.target.prepare(good)).toMatchObject({ status: 'succeeded' });
    expect(await harness.target.activate('3.0.0')).toMatchObject({ status: 'succeeded' });
    // Some other deployment ran in between (a push rewind never registered): "previous" would be it.
    fake.push(serviceId, environmentId, { commit: sha('between'), image: 'registry.example/web:between' });
    const crashing = fake.push(serviceId, environmentId, { commit: sha('3.1.0'), image: 'registry.example/web:3.1.0', behaviour: 'crash' });
    const { artifact } = await harness.target.artifactFromDeployment({ version: '3.1.0', deployment: sha('3.1.0') });
    expect(JSON.parse(await readFile(join(artifact, 'railway-deployment.json'), 'utf8'))).toMatchObject({ deploymentId: crashing.id, commit: sha('3.1.0') });
    expect(await harness.target.prepare({ version: '3.1.0', artifact, digest: (await inspectArtifact(artifact)).digest })).toMatchObject({ status: 'succeeded' });
    const outcome = await harness.target.activate('3.1.0');
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_RAILWAY_DEPLOY_FAILED' });
    // Railway may have crashed it before activate looked (then activate rolled back to it once more, and that crashed too).
    expect(outcome.message).toMatch(/deployment [0-9a-f-]{36} of 3\.1\.0 ended CRASHED/);
    expect(await harness.answering()).toEqual([]);
    const from = fake.calls.length;
    expect(await harness.target.activate('3.0.0')).toMatchObject({ status: 'succeeded', detail: { action: 'deploymentRollback' } });
    expect(fake.calls.slice(from).filter((c) => c.startsWith('mutation:'))).toEqual(['mutation:deploymentRollback']);
    // By the LKG's recorded id, not the deployment before the crashed one ('between').
    const goodId = (JSON.parse(await readFile(join(good.artifact, 'railway-deployment.json'), 'utf8')) as { deploymentId: string }).deploymentId;
    const lastRollback = [...fake.requests].reverse().find((r) => r.body.includes('deploymentRollback'))!;
    expect((JSON.parse(lastRollback.body) as { variables: { id: string } }).variables.id).toBe(goodId);
    expect(await harness.answering()).toEqual(['3.0.0']);
    expect(await harness.target.activeVersion()).toBe('3.0.0');
  });

  it('a deployment whose image is past retention (canRollback false) is refused with its code before anything changes', async () => {
    const old = await harness.release('2.9.0');
    fake.expire(JSON.parse(await readFile(join(old.artifact, 'railway-deployment.json'), 'utf8')).deploymentId);
    const before = fake.deployments.length;
    const outcome = await harness.target.prepare(old);
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_RAILWAY_ROLLBACK_UNAVAILABLE' });
    expect(await harness.target.installedVersions()).not.toContain('2.9.0');
    expect(fake.deployments.length).toBe(before);
  });

  it('with redeployWhenRollbackUnavailable, a deployment past retention is rebuilt with deploymentRedeploy (and recorded as the release\'s)', async () => {
    const h = await railwayHarness({ redeployWhenRollbackUnavailable: true });
    try {
      const old = await h.release('2.8.0');
      const id = (JSON.parse(await readFile(join(old.artifact, 'railway-deployment.json'), 'utf8')) as { deploymentId: string }).deploymentId;
      fake.expire(id);
      expect(await h.target.prepare(old)).toMatchObject({ status: 'succeeded', detail: { canRollback: false } });
      const from = fake.calls.length;
      const outcome = await h.target.activate('2.8.0');
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded', detail: { action: 'deploymentRedeploy', of: id } });
      expect(fake.calls.slice(from).filter((c) => c.startsWith('mutation:'))).toEqual(['mutation:deploymentRedeploy']);
      expect(await h.answering()).toEqual(['2.8.0']);
      expect(await h.target.activeVersion()).toBe('2.8.0');
    } finally {
      await h.cleanup();
    }
  });

  it('unknown service or environment, a token of another environment, a missing token: coded errors naming the object, nothing written', async () => {
    const other = fake.environment(projectId, 'staging');
    const stagingToken = fake.token('project', [projectId], other);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ serviceId: '00000000-0000-4000-8000-000000000000' }, 'REWIND_E_RAILWAY_NOT_FOUND', /service 00000000-0000-4000-8000-000000000000/],
      [{ environmentId: '00000000-0000-4000-8000-000000000001' }, 'REWIND_E_RAILWAY_NOT_FOUND', /environment 00000000-0000-4000-8000-000000000001/],
      [{ tokenEnv: 'REWIND_TEST_RAILWAY_STAGING' }, 'REWIND_E_RAILWAY_UNAUTHORIZED', /Not Authorized.*REWIND_TEST_RAILWAY_STAGING/],
      [{ tokenEnv: 'REWIND_TEST_RAILWAY_UNSET' }, 'REWIND_E_RAILWAY_TOKEN_MISSING', /REWIND_TEST_RAILWAY_UNSET/],
      [{ tokenType: 'account' }, 'REWIND_E_RAILWAY_UNAUTHORIZED', /account token/],
    ];
    process.env.REWIND_TEST_RAILWAY_STAGING = stagingToken;
    const mutations = fake.calls.filter((c) => c.startsWith('mutation:')).length;
    try {
      for (const [extra, code, message] of cases) {
        const h = await railwayHarness(extra);
        try {
          const error = await h.target.artifactFromDeployment({ version: '3.0.0', deployment: sha('3.0.0') }).then(() => null, (e: unknown) => e);
          expect(error, JSON.stringify(extra)).toMatchObject({ code, message: expect.stringMatching(message) });
          for (const secret of [token, stagingToken]) expect(JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details })).not.toContain(secret);
          expect(await readdir(h.root)).toEqual([]);
        } finally {
          await h.cleanup();
        }
      }
    } finally {
      delete process.env.REWIND_TEST_RAILWAY_STAGING;
    }
    expect(fake.calls.filter((c) => c.startsWith('mutation:')).length).toBe(mutations);
  });

  it('a deployment of another service, or a reference that is neither an id nor a commit, is refused', async () => {
    const api = fake.service(projectId, 'api');
    const theirs = fake.history(api, environmentId, { commit: sha('api'), image: 'registry.example/api:1' });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', deployment: theirs.id })).rejects.toMatchObject({ code: 'REWIND_E_RAILWAY_NOT_FOUND', message: expect.stringContaining(`service ${api}`) });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', deployment: 'latest' })).rejects.toMatchObject({ code: 'REWIND_E_USAGE' });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', deployment: 'abcdef0123456' })).rejects.toMatchObject({ code: 'REWIND_E_RAILWAY_NOT_FOUND', message: expect.stringContaining('no deployment of commit abcdef0123456') });
  });

  it('an API answering 503 mid-rollout: reads are retried (bounded, recorded in the outcome), the rollout completes', async () => {
    const release = await harness.release('3.2.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    fake.outage = 503;
    fake.outageCount = 2;
    const outcome = await harness.target.activate('3.2.0');
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
    expect((outcome.detail as { retries: { operation: string; reason: string }[] }).retries).toEqual([
      expect.objectContaining({ operation: 'deployments', attempt: 1, reason: 'HTTP 503' }),
      expect.objectContaining({ operation: 'deployments', attempt: 2, reason: 'HTTP 503' }),
    ]);
    expect(await harness.answering()).toEqual(['3.2.0']);
  });

  it('a 429 is retried after its Retry-After, recorded like any retry', async () => {
    fake.outage = 429;
    fake.outageCount = 1;
    const started = Date.now();
    const outcome = await harness.target.stop();
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((outcome.detail as { retries: unknown[] }).retries).toEqual([{ operation: 'deployments', attempt: 1, reason: 'HTTP 429', waitMs: 1000 }]);
    expect(await harness.target.activate('3.2.0')).toMatchObject({ status: 'succeeded', detail: { action: 'deploymentRestart' } });
    expect(await harness.answering()).toEqual(['3.2.0']);
  });

  it('an API down for longer than the attempts: a coded failure naming the call, and nothing changed', async () => {
    const release = await harness.release('3.3.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    const before = { answering: await harness.answering(), deployments: fake.deployments.length };
    fake.outage = 502;
    fake.outageCount = null;
    const from = fake.calls.length;
    try {
      const outcome = await harness.target.activate('3.3.0');
      expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_RAILWAY_API' });
      expect(outcome.message).toMatch(/Railway deployments for Railway service .* failed: HTTP 502 on each of 3 attempts/);
      expect(fake.calls.slice(from)).toEqual(['outage:deployments', 'outage:deployments', 'outage:deployments']);
    } finally {
      fake.outage = null;
    }
    expect({ answering: await harness.answering(), deployments: fake.deployments.length }).toEqual(before);
    expect(await harness.target.activeVersion()).toBe('3.2.0');
  });

  it('rewind stopped between sending deploymentRollback and recording what it made: the next activate adopts it, sends nothing again', async () => {
    const release = await harness.release('3.5.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    const recordFile = join(harness.root, 'state', 'releases', '3.5.0', 'release.json');
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as { deploymentId: string };
    // What the interrupted activate had done: the pending list written, the mutation sent, nothing more.
    await writeFile(recordFile, JSON.stringify({ ...record, pending: fake.deployments.filter((d) => d.serviceId === serviceId).map((d) => d.id) }));
    const response = await fetch(fake.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'project-access-token': token }, body: JSON.stringify({ query: 'mutation r($id: String!) { deploymentRollback(id: $id) }', variables: { id: record.deploymentId } }) });
    expect(await response.json()).toEqual({ data: { deploymentRollback: true } });
    const from = fake.calls.length;
    const outcome = await harness.target.activate('3.5.0');
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
    expect(fake.calls.slice(from).filter((c) => c.startsWith('mutation:'))).toEqual([]);
    expect(await harness.answering()).toEqual(['3.5.0']);
    expect(JSON.parse(await readFile(recordFile, 'utf8'))).not.toHaveProperty('pending');
  });

  it('a deploymentRollback whose answer is lost (502 on the mutation) is not sent twice when it did happen', async () => {
    const release = await harness.release('3.4.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    // The fake carries the mutation out, then the gateway loses its answer.
    fake.loseAnswerOf.add('deploymentRollback');
    const from = fake.calls.length;
    const outcome = await harness.target.activate('3.4.0');
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded', detail: { action: 'deploymentRollback' } });
    expect(fake.calls.slice(from).filter((c) => c.endsWith(':deploymentRollback'))).toEqual(['mutation:deploymentRollback', 'lost-answer:deploymentRollback']);
    expect(await harness.answering()).toEqual(['3.4.0']);
  });
});

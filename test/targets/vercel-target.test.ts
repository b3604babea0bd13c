import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vercelTargetSchema } from '../../src/adapters/targets/vercel/vercel-config.js';
import { VercelTarget } from '../../src/adapters/targets/vercel/vercel-target.js';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { targetContract, type TargetHarness } from '../contracts/target-contract.js';
import { FakeVercel } from '../support/fake-vercel.js';

const TEAM = 'team_acme';
const TOKEN = 'vercel-token-SECRET-4f9a1c';
const OTHER_TEAM_TOKEN = 'vercel-token-OTHER-77aa';
const sha = (version: string) => Buffer.from(version.padEnd(20, '.')).toString('hex').slice(0, 40);

function useToken(): void {
  const saved = { VERCEL_TOKEN: process.env.VERCEL_TOKEN, OTHER_VERCEL_TOKEN: process.env.OTHER_VERCEL_TOKEN };
  beforeAll(() => void Object.assign(process.env, { VERCEL_TOKEN: TOKEN, OTHER_VERCEL_TOKEN: OTHER_TEAM_TOKEN }));
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
}

async function vercelHarness(fake: FakeVercel, project: string, extra: Record<string, unknown> = {}): Promise<TargetHarness & { root: string; target: VercelTarget }> {
  const root = await mkdtemp(join(tmpdir(), 'vercel-'));
  const config = vercelTargetSchema.parse({ type: 'vercel', projectId: project, teamId: TEAM, apiUrl: fake.apiUrl, pollMs: 20, promoteTimeoutMs: 5000, requestTimeoutMs: 2000, ...extra });
  const target = new VercelTarget({ ...config, stateDir: join(root, 'state') });
  const releases = new Map<string, { artifact: string; digest: string; version: string }>();
  return {
    root,
    target,
    async release(version) {
      if (!releases.has(version)) {
        fake.createDeployment(project, { version, commit: sha(version), meta: { rewindVersion: version } });
        const { artifact } = await target.artifactFromDeployment({ version });
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    async answering() {
      const response = await fetch(fake.productionUrl(project));
      return response.ok ? [await response.text()] : [];
    },
    async cleanup() {
      await target.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

let fake: FakeVercel;
useToken();
beforeAll(async () => {
  fake = await FakeVercel.start({ promoteDelayMs: 60 });
  fake.addToken(TOKEN, [TEAM]);
  fake.addToken(OTHER_TEAM_TOKEN, ['team_other']);
  for (const name of ['shop', 'blog']) {
    fake.createProject(name, TEAM);
    // What production served before rewind took the project over.
    fake.setProduction(name, fake.createDeployment(name, { version: 'before-rewind', commit: sha('base') }).id);
  }
});
afterAll(async () => {
  await fake?.stop();
});

targetContract({
  name: 'vercel (fake Vercel REST API on loopback; real Vercel not exercised)',
  provider: 'vercel',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: () => vercelHarness(fake, 'shop'),
});

describe('vercel target: register, bad input, faults', () => {
  let harness: Awaited<ReturnType<typeof vercelHarness>>;
  const manifests = () => (existsSync(join(harness.root, 'state', 'manifests')) ? readdirSync(join(harness.root, 'state', 'manifests')).sort() : []);
  const promotes = () => fake.calls.filter((c) => c.includes('/promote/')).length;
  beforeAll(async () => {
    harness = await vercelHarness(fake, 'blog');
  });
  afterAll(async () => {
    await harness?.cleanup();
  });

  it('register finds a deployment by commit, by id or URL, or by meta; the newest production build of a commit wins', async () => {
    const first = fake.createDeployment('blog', { version: '2.0.0', commit: 'abc1234def5678' });
    const redeploy = fake.createDeployment('blog', { version: '2.0.0', commit: 'abc1234def5678' });
    fake.createDeployment('blog', { version: '2.0.0-preview', commit: 'abc1234def5678', target: null });
    const byCommit = await harness.target.artifactFromDeployment({ version: '2.0.0', commit: 'abc1234' });
    expect(readManifest(byCommit.artifact)).toMatchObject({ deploymentId: redeploy.id, commit: 'abc1234def5678', foundBy: 'commit', url: redeploy.url });
    const byId = await harness.target.artifactFromDeployment({ version: '2.0.0', deployment: first.id });
    expect(readManifest(byId.artifact)).toMatchObject({ deploymentId: first.id, foundBy: 'deployment' });
    const byUrl = await harness.target.artifactFromDeployment({ version: '2.0.0', deployment: `https://${first.url}` });
    expect(readManifest(byUrl.artifact).deploymentId).toBe(first.id);
    // The commit Vercel built it from, for the release when --commit was not given.
    expect(byUrl.commit).toBe('abc1234def5678');
    const tagged = fake.createDeployment('blog', { version: '2.1.0', meta: { rewindVersion: '2.1.0' } });
    const byMeta = await harness.target.artifactFromDeployment({ version: '2.1.0' });
    expect(readManifest(byMeta.artifact)).toMatchObject({ deploymentId: tagged.id, foundBy: 'meta:rewindVersion', commit: null });
    expect(byMeta.commit).toBeNull();
  });

  it('refuses what cannot be promoted before writing anything: no match, preview only, ERROR, another project', async () => {
    const before = manifests();
    fake.createDeployment('blog', { version: 'p', commit: 'feedfacefeedface', target: null });
    const broken = fake.createDeployment('blog', { version: 'e', commit: 'deadbeefdeadbeef', readyState: 'ERROR' });
    const elsewhere = fake.createDeployment('shop', { version: 'x' });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9' })).rejects.toMatchObject({ code: 'REWIND_E_VERCEL_NOT_FOUND', message: expect.stringContaining('meta rewindVersion=9.9.9') });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', commit: 'feedface' })).rejects.toMatchObject({ code: 'REWIND_E_VERCEL_NOT_FOUND', message: expect.stringContaining('only preview deployments') });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', commit: 'deadbeef' })).rejects.toMatchObject({ code: 'REWIND_E_VERCEL_DEPLOYMENT_NOT_READY', message: expect.stringContaining(`${broken.id} (${broken.url}) is ERROR`) });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', deployment: elsewhere.id })).rejects.toMatchObject({ code: 'REWIND_E_VERCEL_NOT_FOUND', message: expect.stringContaining('belongs to project') });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', deployment: 'dpl_nope' })).rejects.toMatchObject({ code: 'REWIND_E_VERCEL_NOT_FOUND', message: expect.stringContaining('deployment dpl_nope') });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', deployment: 'not a deployment' })).rejects.toMatchObject({ code: 'REWIND_E_USAGE' });
    await expect(harness.target.artifactFromDeployment({ version: '9.9.9', commit: 'xyz' })).rejects.toMatchObject({ code: 'REWIND_E_USAGE' });
    expect(manifests()).toEqual(before);
  });

  it('an unknown project, a token of another team, no token: coded errors naming the object, the token never in them, nothing promoted', async () => {
    const calls = promotes();
    const production = fake.project('blog').productionId;
    const unknown = await vercelHarness(fake, 'nope');
    const otherTeam = await vercelHarness(fake, 'blog', { tokenEnv: 'OTHER_VERCEL_TOKEN' });
    const noToken = await vercelHarness(fake, 'blog', { tokenEnv: 'VERCEL_TOKEN_UNSET_HERE' });
    try {
      const errors = [
        await unknown.target.activeVersion().catch((e: unknown) => e),
        await otherTeam.target.activeVersion().catch((e: unknown) => e),
        await noToken.target.activeVersion().catch((e: unknown) => e),
        await otherTeam.target.artifactFromDeployment({ version: '1.0.0' }).catch((e: unknown) => e),
        await unknown.target.stop(),
      ];
      expect(errors[0]).toMatchObject({ code: 'REWIND_E_VERCEL_NOT_FOUND', message: expect.stringContaining('project nope') });
      expect(errors[1]).toMatchObject({ code: 'REWIND_E_VERCEL_FORBIDDEN', message: expect.stringMatching(/HTTP 403 forbidden.*OTHER_VERCEL_TOKEN may not act on this project in team team_acme/) });
      expect(errors[2]).toMatchObject({ code: 'REWIND_E_VERCEL_TOKEN_MISSING', message: expect.stringContaining('VERCEL_TOKEN_UNSET_HERE is not set') });
      expect(errors[3]).toMatchObject({ code: 'REWIND_E_VERCEL_FORBIDDEN' });
      expect(errors[4]).toMatchObject({ status: 'failed', code: 'REWIND_E_VERCEL_NOT_FOUND' });
      const said = JSON.stringify(errors.map((e) => ({ message: (e as Error).message, details: (e as { details?: unknown }).details })));
      expect(said).not.toContain(TOKEN);
      expect(said).not.toContain(OTHER_TEAM_TOKEN);
      expect(promotes()).toBe(calls);
      expect(fake.project('blog')).toMatchObject({ productionId: production, paused: false });
    } finally {
      for (const h of [unknown, otherTeam, noToken]) await h.cleanup();
    }
  });

  it('5xx answers mid-rollout are retried (bounded) and kept in the outcome; past the bound a coded failure and production unchanged', async () => {
    const release = await harness.release('3.0.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    fake.failNext(2, 503, /^GET \/v9\/projects/);
    fake.failNext(1, 502, /promote/);
    const told: string[] = [];
    const outcome = await harness.target.activate('3.0.0', async (p) => void told.push(p.message));
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded', detail: { promoted: true } });
    expect((outcome.detail as { retries: { call: string; reason: string }[] }).retries.map((r) => `${r.call} ${r.reason}`)).toEqual([expect.stringMatching(/^GET \/v9\/projects\/blog HTTP 503/), expect.stringMatching(/^GET \/v9\/projects\/blog HTTP 503/), expect.stringMatching(/^POST \/v10\/projects\/prj_\w+\/promote\/dpl_\w+ HTTP 502/)]);
    expect(told).toHaveLength(3);
    expect(await harness.answering()).toEqual(['3.0.0']);

    const next = await harness.release('3.1.0');
    expect(await harness.target.prepare(next)).toMatchObject({ status: 'succeeded' });
    const from = fake.calls.length;
    fake.failNext(10, 503, /promote/);
    try {
      const down = await harness.target.activate('3.1.0');
      expect(down).toMatchObject({ status: 'failed', code: 'REWIND_E_VERCEL_API', message: expect.stringMatching(/promote\/dpl_\w+ answered HTTP 503 internal_server_error after 4 attempt/) });
      expect(fake.calls.slice(from).filter((c) => c.includes('/promote/'))).toHaveLength(4);
      expect((down.detail as { retries: unknown[] }).retries).toHaveLength(3);
    } finally {
      fake.clearFaults();
    }
    expect(await harness.target.activeVersion()).toBe('3.0.0');
    expect(await harness.answering()).toEqual(['3.0.0']);

    // Failing before the promote was sent: the outcome says nothing changed, so the runner needs no rollback.
    fake.failNext(10, 503, /^GET \/v9\/projects/);
    try {
      const early = await harness.target.activate('3.1.0');
      expect(early).toMatchObject({ status: 'failed', code: 'REWIND_E_VERCEL_API', unchanged: true, message: expect.stringMatching(/; nothing was changed$/) });
    } finally {
      fake.clearFaults();
    }
    expect(await harness.answering()).toEqual(['3.0.0']);
  });

  it('an API that does not answer: each attempt ends at requestTimeoutMs, then REWIND_E_VERCEL_UNREACHABLE', async () => {
    const hanging = await vercelHarness(fake, 'blog', { requestTimeoutMs: 150, attempts: 2 });
    fake.hang = /^GET \/v9\/projects/;
    const started = performance.now();
    try {
      await expect(hanging.target.activeVersion()).rejects.toMatchObject({ code: 'REWIND_E_VERCEL_UNREACHABLE', message: expect.stringContaining('no answer within 150 ms') });
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      fake.clearFaults();
      await hanging.cleanup();
    }
  });

  it('a promote job that fails, and a deployment gone bad since register, are coded failures; production stays', async () => {
    const release = await harness.release('3.2.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    const record = readManifest(release.artifact);
    fake.failingPromotes.add(record.deploymentId);
    const outcome = await harness.target.activate('3.2.0');
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_VERCEL_PROMOTE_FAILED' });
    expect(await harness.answering()).toEqual(['3.0.0']);

    const canceled = await harness.release('3.3.0');
    fake.deployments.find((d) => d.id === readManifest(canceled.artifact).deploymentId)!.readyState = 'CANCELED';
    expect(await harness.target.prepare(canceled)).toMatchObject({ status: 'failed', code: 'REWIND_E_VERCEL_DEPLOYMENT_NOT_READY' });
    expect(await harness.target.installedVersions()).not.toContain('3.3.0');
    expect(await harness.target.platformRevisions()).toMatchObject({ '3.0.0': { deployment: expect.stringMatching(/^dpl_/) } });
  });
});

function readManifest(dir: string): { deploymentId: string; commit: string | null; foundBy: string; url: string } {
  return JSON.parse(readFileSync(join(dir, 'vercel-deployment.json'), 'utf8'));
}

describe('docs/targets/vercel.md', () => {
  it('its complete example is a valid config, and names every key of the vercel target', async () => {
    const { parseConfigText } = await import('../../src/config/load-config.js');
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'targets', 'vercel.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const config = parseConfigText(example, '/etc/rewind', {});
    expect(config.environments.production!.target).toMatchObject({ type: 'vercel', projectId: 'prj_9aXc2LrT4Qh1', teamId: 'team_1a2b3c4d5e6f', stateDir: '/etc/rewind/rewind-vercel/production' });
    for (const key of Object.keys(vercelTargetSchema.shape).filter((k) => !['type', 'stateDir', 'keep'].includes(k))) expect(example, key).toContain(`${key}:`);
  });
});

describe('vercel token redaction', () => {
  it('the token of the variable tokenEnv names is among the config secret values (masked wherever rewind redacts)', async () => {
    const { parseConfigText } = await import('../../src/config/load-config.js');
    const { configSecretValues } = await import('../../src/config/config-secrets.js');
    const config = parseConfigText(`environments:\n  production:\n    target: { type: vercel, projectId: shop }\n`, '/etc/rewind', {});
    expect(configSecretValues(config)).toContain(TOKEN);
  });
});

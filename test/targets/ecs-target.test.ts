import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcsTarget } from '../../src/adapters/targets/ecs/ecs-target.js';
import { SlottedEcsTarget } from '../../src/adapters/targets/ecs/slotted-ecs-target.js';
import { slottedEcsTargetDefinition } from '../../src/adapters/targets/ecs/slotted-ecs-definition.js';
import { DEFAULT_TARGET_CAPABILITIES } from '../../src/ports/target.js';
import { ecsTargetSchema } from '../../src/adapters/targets/ecs/ecs-config.js';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { targetContract, type TargetHarness } from '../contracts/target-contract.js';
import { FAKE_CREDENTIALS, FakeAws } from '../support/fake-aws.js';

const CLUSTER = 'prod';
const SERVICE = 'web';
const digestOf = (version: string) => `sha256:${Buffer.from(version.padEnd(32, '-')).toString('hex').slice(0, 64)}`;

// The SDK's standard chain reads these (the fake checks the signature's shape, not the secret).
const CREDENTIALS = FAKE_CREDENTIALS;

function useFakeCredentials(): void {
  const saved = Object.fromEntries(Object.keys(CREDENTIALS).map((k) => [k, process.env[k]]));
  beforeAll(() => void Object.assign(process.env, CREDENTIALS));
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
}

async function ecsHarness(fake: FakeAws, extra: Record<string, unknown> = {}): Promise<TargetHarness & { root: string; target: EcsTarget }> {
  const root = await mkdtemp(join(tmpdir(), 'ecs-'));
  const config = ecsTargetSchema.parse({ type: 'ecs', cluster: CLUSTER, service: SERVICE, region: fake.region, endpoint: fake.endpoint, pollMs: 20, stableTimeoutMs: 5000, ...extra });
  const target = new EcsTarget({ ...config, stateDir: join(root, 'state') });
  const versionOfImage = new Map<string, string>();
  const releases = new Map<string, { artifact: string; digest: string; version: string }>();
  return {
    root,
    target,
    async release(version) {
      if (!releases.has(version)) {
        const image = `registry.example/web:${version}@${digestOf(version)}`;
        versionOfImage.set(image, version);
        const definition = fake.registerTaskDefinition('shop', [{ name: 'web', image }]);
        const artifact = await target.artifactFromTaskDefinition(`shop:${definition.revision}`);
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    async answering() {
      return [...new Set(fake.runningImages(CLUSTER, SERVICE).map((image) => versionOfImage.get(image) ?? image))].sort();
    },
    async cleanup() {
      await target.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * The slotted ecs target (`slots:`): two services, web-blue and web-green, both running the base
 * revision at first; what answers is what the tasks of both services run.
 */
async function slottedEcsHarness(fake: FakeAws): Promise<TargetHarness> {
  const root = await mkdtemp(join(tmpdir(), 'ecs-slots-'));
  const config = ecsTargetSchema.parse({ type: 'ecs', cluster: CLUSTER, slots: { blue: { service: 'web-blue' }, green: { service: 'web-green' } }, region: fake.region, endpoint: fake.endpoint, pollMs: 20, stableTimeoutMs: 5000 });
  const target = new SlottedEcsTarget({ ...config, stateDir: join(root, 'state') }, { ...DEFAULT_TARGET_CAPABILITIES, ...slottedEcsTargetDefinition.capabilities });
  const versionOfImage = new Map<string, string>();
  const releases = new Map<string, { artifact: string; digest: string; version: string }>();
  return {
    target,
    async release(version) {
      if (!releases.has(version)) {
        const image = `registry.example/web:slots-${version}@${digestOf(`slots-${version}`)}`;
        versionOfImage.set(image, version);
        const definition = fake.registerTaskDefinition('shop-slots', [{ name: 'web', image }]);
        const artifact = await target.artifactFromTaskDefinition!(`shop-slots:${definition.revision}`);
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    async answering() {
      const images = ['web-blue', 'web-green'].flatMap((service) => fake.runningImages(CLUSTER, service));
      return [...new Set(images.map((image) => versionOfImage.get(image) ?? image))].filter((v) => !v.includes('@')).sort();
    },
    async cleanup() {
      await target.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

let fake: FakeAws;
useFakeCredentials();
beforeAll(async () => {
  fake = await FakeAws.start({ tickMs: 20, neverStable: ['broken'] });
  const base = fake.registerTaskDefinition('shop', [{ name: 'web', image: `registry.example/web@${digestOf('base')}` }]);
  fake.createService(CLUSTER, SERVICE, base.taskDefinitionArn, 2);
  fake.createService(CLUSTER, 'web-blue', base.taskDefinitionArn, 2);
  fake.createService(CLUSTER, 'web-green', base.taskDefinitionArn, 2);
});
afterAll(async () => {
  await fake?.stop();
});

targetContract({
  name: 'ecs (fake ECS JSON API on loopback, real @aws-sdk/client-ecs)',
  provider: 'ecs',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: () => ecsHarness(fake),
});

targetContract({
  name: 'ecs with slots: two services (fake ECS JSON API on loopback, real @aws-sdk/client-ecs)',
  provider: 'ecs',
  capabilities: { servedVersions: false, slots: true, releaseDir: false },
  create: () => slottedEcsHarness(fake),
});

describe('ecs target: circuit breaker, bad input', () => {
  let harness: Awaited<ReturnType<typeof ecsHarness>>;
  beforeAll(async () => {
    harness = await ecsHarness(fake);
  });
  afterAll(async () => {
    await harness?.cleanup();
  });

  it('a revision that never stabilizes: the circuit breaker rollback is detected, though the service is "stable" again', async () => {
    const good = await harness.release('2.0.0');
    expect(await harness.target.prepare(good)).toMatchObject({ status: 'succeeded' });
    expect(await harness.target.activate('2.0.0')).toMatchObject({ status: 'succeeded' });
    const image = `registry.example/web-broken@${digestOf('2.1.0')}`;
    const definition = fake.registerTaskDefinition('shop', [{ name: 'web', image }]);
    const artifact = await harness.target.artifactFromTaskDefinition(`shop:${definition.revision}`);
    expect(await harness.target.prepare({ version: '2.1.0', artifact, digest: (await inspectArtifact(artifact)).digest })).toMatchObject({ status: 'succeeded' });
    const outcome = await harness.target.activate('2.1.0');
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ECS_CIRCUIT_BREAKER_ROLLBACK' });
    expect(outcome.message).toMatch(/back to shop:\d+ instead of shop:\d+/);
    // ECS put 2.0.0 back by itself; the target says so.
    const goodArn = (JSON.parse(readFileSync(join(good.artifact, 'task-definition.json'), 'utf8')) as { taskDefinitionArn: string }).taskDefinitionArn;
    expect(fake.service(CLUSTER, SERVICE).deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: goodArn, rolloutState: 'COMPLETED' })]);
    expect(await harness.target.activeVersion()).toBe('2.0.0');
    // Activating the good one again (what rewind's rollback does) settles on it.
    expect(await harness.target.activate('2.0.0')).toMatchObject({ status: 'succeeded' });
    expect(await harness.answering()).toEqual(['2.0.0']);
  });

  it('refuses a family without a revision, an image without a digest, an unknown or deregistered revision, before writing anything', async () => {
    const before = await harness.target.installedVersions();
    await expect(harness.target.artifactFromTaskDefinition('shop')).rejects.toMatchObject({ code: 'REWIND_E_USAGE' });
    const loose = fake.registerTaskDefinition('loose', [{ name: 'web', image: 'registry.example/web:latest' }]);
    await expect(harness.target.artifactFromTaskDefinition(`loose:${loose.revision}`)).rejects.toMatchObject({ code: 'REWIND_E_IMAGE_DIGEST_REQUIRED' });
    await expect(harness.target.artifactFromTaskDefinition('shop:999')).rejects.toMatchObject({ code: 'REWIND_E_ECS_NOT_FOUND' });
    const gone = fake.registerTaskDefinition('gone', [{ name: 'web', image: `registry.example/web@${digestOf('gone')}` }]);
    gone.status = 'INACTIVE';
    await expect(harness.target.artifactFromTaskDefinition(`gone:${gone.revision}`)).rejects.toMatchObject({ code: 'REWIND_E_ECS_TASK_DEFINITION_INACTIVE' });
    expect(await harness.target.installedVersions()).toEqual(before);
  });

  it('a missing service or cluster and an unreachable endpoint are coded errors naming the object', async () => {
    const calls = fake.calls.length;
    const missing = await ecsHarness(fake, { service: 'nope' });
    const noCluster = await ecsHarness(fake, { cluster: 'nowhere' });
    const unreachable = await ecsHarness(fake, { endpoint: 'http://127.0.0.1:9' });
    try {
      await expect(missing.target.activeVersion()).rejects.toMatchObject({ code: 'REWIND_E_ECS_NOT_FOUND', message: expect.stringContaining('service nope') });
      await expect(noCluster.target.activeVersion()).rejects.toMatchObject({ code: 'REWIND_E_ECS_NOT_FOUND', message: expect.stringContaining('cluster nowhere') });
      await expect(unreachable.target.activeVersion()).rejects.toMatchObject({ code: 'REWIND_E_ECS_UNREACHABLE' });
      expect(fake.calls.slice(calls).filter((c) => c === 'ecs:UpdateService')).toEqual([]);
    } finally {
      for (const h of [missing, noCluster, unreachable]) await h.cleanup();
    }
  });

  it('an API answering 503 mid-deploy: bounded retries (3 attempts per call), a coded failure, and nothing half-done', async () => {
    const before = await harness.target.activeVersion();
    const release = await harness.release('2.2.0');
    expect(await harness.target.prepare(release)).toMatchObject({ status: 'succeeded' });
    const from = fake.calls.length;
    fake.outage = 503;
    try {
      const outcome = await harness.target.activate('2.2.0');
      expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ECS_API' });
      expect(outcome.message).toMatch(/DescribeServices .*ServiceUnavailableException/);
      expect(fake.calls.slice(from)).toEqual(['outage:DescribeServices', 'outage:DescribeServices', 'outage:DescribeServices']);
    } finally {
      fake.outage = null;
    }
    expect(await harness.target.activeVersion()).toBe(before);
    expect(fake.service(CLUSTER, SERVICE).deployments).toHaveLength(1);
  });
});

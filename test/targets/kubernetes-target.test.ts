import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { kubernetesTargetSchema } from '../../src/adapters/targets/kubernetes/kubernetes-config.js';
import { kubernetesTargetDefinition } from '../../src/adapters/targets/kubernetes/kubernetes-definition.js';
import { loadAdapters } from '../../src/adapters/registry.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { ReleaseArtifact, Target } from '../../src/ports/target.js';
import { targetContract } from '../contracts/target-contract.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';

// The kubernetes target against the fake API server (test/support/fake-kube-apiserver.ts, itself
// checked with the real kubectl 1.32 in test/fake-kube-apiserver.test.ts): two Deployments rolled
// together, built through the registry as the CLI builds it. No real cluster.

const NS = 'shop';
export const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

async function kubernetesHarness() {
  const fake = await FakeKubeApiServer.start();
  const root = await mkdtemp(join(tmpdir(), 'kt-'));
  const kubeconfig = await fake.writeKubeconfig(join(root, 'kubeconfig'));
  for (const name of ['app-api', 'app-web']) fake.createDeployment({ name, namespace: NS, replicas: 2, containers: { main: `registry.local/${name}@${digestOf('0')}` }, progressDeadlineSeconds: 5 });
  await fake.settled();
  const config = kubernetesTargetSchema.parse({ type: 'kubernetes', namespace: NS, deployments: [{ name: 'app-api' }, { name: 'app-web', containers: ['main'] }], kubeconfig: 'kubeconfig', rolloutTimeoutMs: 20_000 });
  kubernetesTargetDefinition.resolvePaths!(config, { env: 'production', baseDir: root, abs: (p) => (isAbsolute(p) ? p : resolve(root, p)) });
  const adapters = await loadAdapters(['target', 'runtime']);
  const target: Target = adapters.createTarget({ target: config }, new ProcessExecutor());
  const releases = new Map<string, ReleaseArtifact>();
  return {
    target,
    release: async (version: string): Promise<ReleaseArtifact> => {
      if (!releases.has(version)) {
        const artifact = await target.artifactFromImages!({ 'app-api': `registry.local/app-api@${digestOf(version)}`, 'app-web/main': `registry.local/app-web@${digestOf(version)}` });
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    // What would answer behind the Services: the release each ready pod's template names.
    answering: async () => {
      const versions = ['app-api', 'app-web'].flatMap((d) => fake.readyPods(NS, d).map((p) => (p.template.metadata?.annotations?.['rewind.dev/version'] as string | undefined) ?? 'unversioned'));
      return [...new Set(versions)].sort();
    },
    cleanup: async () => {
      await target.close();
      await fake.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

targetContract({
  name: 'kubernetes (fake API server checked with kubectl 1.32; two Deployments)',
  provider: 'kubernetes',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: kubernetesHarness,
});

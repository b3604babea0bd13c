import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmTargetSchema } from '../../src/adapters/targets/helm/helm-config.js';
import { HelmTarget } from '../../src/adapters/targets/helm/helm-target.js';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { targetContract, type TargetHarness } from '../contracts/target-contract.js';
import { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { helmRevisions, secretsSnapshot, type HelmRevision } from '../support/helm-release-secrets.js';
import { kubectl } from '../support/kubectl.js';

/**
 * The fake helm (test/fixtures/fake-helm.mjs): history kept as Helm 3's release Secrets in the fake
 * Kubernetes API server (test/support/fake-kube-apiserver.ts) named by the target's `kubeconfig`;
 * $FAKE_HELM_STATE only holds its interrupt switch. The real helm is not exercised.
 */
export const FAKE_HELM = resolve(import.meta.dirname, '../fixtures/fake-helm.mjs');
const RELEASE = 'shop';
const NS = 'apps';

async function helmHarness(extra: Record<string, unknown> = {}): Promise<TargetHarness & { root: string; fakeState: string; kubeconfig: string; kube: FakeKubeApiServer; target: HelmTarget; fakeHistory(): HelmRevision[] }> {
  const root = await mkdtemp(join(tmpdir(), 'helm-'));
  const fakeState = join(root, 'fake-helm-state');
  await mkdir(fakeState, { recursive: true });
  process.env.FAKE_HELM_STATE = fakeState;
  const kube = await FakeKubeApiServer.start();
  const kubeconfig = await kube.writeKubeconfig(join(root, 'kubeconfig'));
  const config = helmTargetSchema.parse({ type: 'helm', release: RELEASE, namespace: NS, chart: join(root, 'charts', 'shop'), helm: FAKE_HELM, timeout: '5s', kubeconfig, ...extra });
  const target = new HelmTarget({ ...config, stateDir: join(root, 'state') }, new ProcessExecutor());
  const releases = new Map<string, { artifact: string; digest: string; version: string }>();
  const fakeHistory = (): HelmRevision[] => helmRevisions(kube, NS, RELEASE);
  return {
    root,
    fakeState,
    kubeconfig,
    kube,
    target,
    fakeHistory,
    async release(version) {
      if (!releases.has(version)) {
        const artifact = join(root, 'manifests', version);
        await mkdir(artifact, { recursive: true });
        await writeFile(join(artifact, 'helm-release.json'), JSON.stringify({ chartVersion: version, values: { 'image.tag': version } }));
        releases.set(version, { version, artifact, digest: (await inspectArtifact(artifact)).digest });
      }
      return releases.get(version)!;
    },
    // What the fake says its deployed revision runs: the chart version, unless stop scaled it to 0.
    async answering() {
      const deployed = fakeHistory().find((h) => h.status === 'deployed');
      return deployed && deployed.values.replicaCount !== '0' ? [deployed.app_version] : [];
    },
    async cleanup() {
      await target.close();
      await kube.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

targetContract({
  name: 'helm (fake helm executable keeping Helm 3 release Secrets in a fake Kubernetes API; the real helm is not exercised)',
  provider: 'helm',
  capabilities: { servedVersions: false, slots: false, releaseDir: false },
  create: () => helmHarness(),
});

describe('helm target: rollback to the recorded revision, the pending-* wedge', () => {
  let h: Awaited<ReturnType<typeof helmHarness>>;
  beforeAll(async () => {
    h = await helmHarness();
  });
  afterAll(async () => {
    await h?.cleanup();
  });
  const ready = async (version: string) => {
    expect((await h.target.prepare(await h.release(version))).status).toBe('succeeded');
  };

  it('a failed upgrade is recorded failed; going back to 1.0.0 is helm rollback to its revision, not revision - 1', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0-broken']) await ready(v);
    expect(await h.target.activate('1.0.0')).toMatchObject({ status: 'succeeded' });
    expect(await h.target.activate('1.1.0')).toMatchObject({ status: 'succeeded' });
    const broken = await h.target.activate('1.2.0-broken');
    expect(broken).toMatchObject({ status: 'failed', code: 'REWIND_E_HELM_FAILED' });
    expect(broken.message).toContain('revision 3 is failed');
    // The describe of the way back names the rollback to 1.0.0's revision (1), not 2 (1.1.0).
    expect(h.target.describeActivate('1.0.0').commands.map((c) => c.argv.slice(1, 4))).toContainEqual(['rollback', RELEASE, '1']);
    const back = await h.target.activate('1.0.0');
    expect(back, back.message).toMatchObject({ status: 'succeeded', detail: { rolledBackTo: 1, revision: 4 } });
    expect(h.fakeHistory().map((r) => [r.revision, r.status, r.app_version])).toEqual([
      [1, 'superseded', '1.0.0'],
      [2, 'superseded', '1.1.0'],
      // Helm marks the revision a rollback leaves superseded, failed or not: rewind's record still says failed.
      [3, 'superseded', '1.2.0-broken'],
      [4, 'deployed', '1.0.0'],
    ]);
    // What `kubectl get secrets -l owner=helm` shows is what `helm history` says: revisions and statuses.
    const history = JSON.parse((await new ProcessExecutor().run({ argv: [FAKE_HELM, 'history', RELEASE, '-o', 'json', '-n', NS, '--kubeconfig', h.kubeconfig] })).stdout) as { revision: number; status: string }[];
    const listed = await kubectl(h.kubeconfig, ['get', 'secrets', '-l', `owner=helm,name=${RELEASE}`, '-n', NS, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.type} {.metadata.labels.version} {.metadata.labels.status}{"\\n"}{end}']);
    expect(listed.stderr).toBe('');
    const secrets = listed.stdout.trim().split('\n').map((l) => l.split(' '));
    expect(secrets.map(([, , version, status]) => [Number(version), status]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(history.map((r) => [r.revision, r.status]));
    expect(history.map((r) => [r.revision, r.status])).toEqual([[1, 'superseded'], [2, 'superseded'], [3, 'superseded'], [4, 'deployed']]);
    for (const [name, type, version] of secrets) {
      expect(name).toBe(`sh.helm.release.v1.${RELEASE}.v${version}`);
      expect(type).toBe('helm.sh/release.v1');
    }
    expect(await h.target.activeVersion()).toBe('1.0.0');
    expect(await h.target.platformRevisions()).toEqual({ '1.0.0': { [RELEASE]: '4' }, '1.1.0': { [RELEASE]: '2' }, '1.2.0-broken': { [RELEASE]: '3' } });
  });

  it('a release left pending-upgrade is refused before anything changes, naming the release and the stuck revision', async () => {
    await ready('1.3.0');
    // A helm killed mid-upgrade (the fake's interrupt marker): its revision stays pending-upgrade.
    await writeFile(join(h.fakeState, 'interrupt'), '');
    expect(await h.target.activate('1.3.0')).toMatchObject({ status: 'failed', code: 'REWIND_E_HELM_FAILED' });
    expect(h.fakeHistory().at(-1)).toMatchObject({ revision: 5, status: 'pending-upgrade' });
    // The wedge as a cluster operator sees it: the revision's Secret labelled status=pending-upgrade.
    const stuck = await kubectl(h.kubeconfig, ['get', 'secret', `sh.helm.release.v1.${RELEASE}.v5`, '-n', NS, '-o', 'jsonpath={.metadata.labels.status}']);
    expect(stuck.stderr).toBe('');
    expect(stuck.stdout).toBe('pending-upgrade');
    const pending = await kubectl(h.kubeconfig, ['get', 'secrets', '-l', `owner=helm,name=${RELEASE},status=pending-upgrade`, '-n', NS, '-o', 'name']);
    expect(pending.stdout.trim()).toBe(`secret/sh.helm.release.v1.${RELEASE}.v5`);
    const before = secretsSnapshot(h.kube, NS);
    const refused = await h.target.activate('1.3.0');
    expect(refused).toMatchObject({ status: 'failed', code: 'REWIND_E_HELM_RELEASE_PENDING', unchanged: true, detail: { release: RELEASE, stuckRevision: 5, status: 'pending-upgrade', lastDeployedRevision: 4 } });
    // Nothing written to the cluster: every Secret as it was, resourceVersions included.
    expect(secretsSnapshot(h.kube, NS)).toBe(before);
    // activeVersion reads the deployed revision: still 1.0.0's revision 4.
    expect(await h.target.activeVersion()).toBe('1.0.0');
  });

  it('recoverPending: activate first rolls back to the last deployed revision (in its outcome), then deploys', async () => {
    const recovering = new HelmTarget({ ...helmTargetSchema.parse({ type: 'helm', release: RELEASE, namespace: NS, chart: join(h.root, 'charts', 'shop'), helm: FAKE_HELM, timeout: '5s', kubeconfig: h.kubeconfig, recoverPending: true }), stateDir: join(h.root, 'state') }, new ProcessExecutor());
    const outcome = await recovering.activate('1.3.0');
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded', detail: { steps: [{ recovered: { stuckRevision: 5, stuckStatus: 'pending-upgrade', rolledBackTo: 4, newRevision: 6 } }] } });
    expect(h.fakeHistory().slice(4).map((r) => [r.revision, r.status, r.app_version])).toEqual([
      [5, 'superseded', '1.3.0'],
      [6, 'superseded', '1.0.0'],
      [7, 'deployed', '1.3.0'],
    ]);
    expect(await recovering.activeVersion()).toBe('1.3.0');
    // The stuck revision never became a rollback destination for 1.3.0: its deployed one is 7.
    expect(recovering.describeActivate('1.3.0').summary).toContain('revision 7');
  });
});

describe('helm target: a first install left pending-install', () => {
  let h: Awaited<ReturnType<typeof helmHarness>>;
  beforeAll(async () => {
    h = await helmHarness({ recoverPending: true });
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('has no deployed revision to roll back to: refused even with recoverPending, and nothing changes', async () => {
    expect((await h.target.prepare(await h.release('1.0.0'))).status).toBe('succeeded');
    await mkdir(h.fakeState, { recursive: true });
    await writeFile(join(h.fakeState, 'interrupt'), '');
    expect(await h.target.activate('1.0.0')).toMatchObject({ status: 'failed', code: 'REWIND_E_HELM_FAILED' });
    expect(h.fakeHistory().map((r) => [r.revision, r.status])).toEqual([[1, 'pending-install']]);
    const refused = await h.target.activate('1.0.0');
    expect(refused).toMatchObject({ status: 'failed', code: 'REWIND_E_HELM_RELEASE_PENDING', unchanged: true, detail: { stuckRevision: 1, status: 'pending-install', lastDeployedRevision: null } });
    expect(h.fakeHistory().map((r) => [r.revision, r.status])).toEqual([[1, 'pending-install']]);
    expect(await h.target.activeVersion()).toBeNull();
  });
});

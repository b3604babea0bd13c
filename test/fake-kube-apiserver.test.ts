import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKubeApiServer, NEVER_READY } from './support/fake-kube-apiserver.js';
import { kubectl } from './support/kubectl.js';

const NS = 'shop';
const IMAGE = (tag: string) => `registry.local/app-api@sha256:${tag.repeat(64).slice(0, 64)}`;

/**
 * The fake Kubernetes API server (test/support/fake-kube-apiserver.ts) checked with the real kubectl
 * 1.32 from Debian's kubernetes-client: `rollout status` waits for a rollout and exits 0, and fails
 * with kubectl's own "exceeded its progress deadline" once a never-ready image passes
 * progressDeadlineSeconds; `rollout history` lists the revisions; `rollout undo` goes to revision - 1
 * by PATCHing the template back, and the controller re-uses the old ReplicaSet under a new revision.
 */
describe('fake Kubernetes API server, checked with the real kubectl', () => {
  let fake: FakeKubeApiServer;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start();
    dir = await mkdtemp(join(tmpdir(), 'kube-'));
    kubeconfig = await fake.writeKubeconfig(join(dir, 'config'));
    fake.createDeployment({ name: 'app-api', namespace: NS, replicas: 2, containers: { api: IMAGE('a') }, progressDeadlineSeconds: 2 });
  });
  afterAll(async () => {
    await fake?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rollout status waits for the first rollout and says it succeeded', async () => {
    const result = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/app-api', '-n', NS, '--timeout=20s']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('deployment "app-api" successfully rolled out');
    expect(fake.readyPods(NS, 'app-api')).toHaveLength(2);
  });

  it('set image rolls a new ReplicaSet (revision 2); rollout status waits for it', async () => {
    const set = await kubectl(kubeconfig, ['set', 'image', 'deployment/app-api', `api=${IMAGE('b')}`, '-n', NS]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const status = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/app-api', '-n', NS, '--timeout=20s']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('successfully rolled out');
    expect(fake.images(NS, 'app-api')).toEqual({ api: IMAGE('b') });
    expect(fake.readyPods(NS, 'app-api').map((p) => p.template.spec.containers[0].image)).toEqual([IMAGE('b'), IMAGE('b')]);
  });

  it('a never-ready image: rollout status fails with ProgressDeadlineExceeded, the old pods keep serving', async () => {
    const bad = `registry.local/app-api:${NEVER_READY}`;
    expect((await kubectl(kubeconfig, ['set', 'image', 'deployment/app-api', `api=${bad}`, '-n', NS])).code).toBe(0);
    const started = Date.now();
    const status = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/app-api', '-n', NS, '--timeout=20s']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('error: deployment "app-api" exceeded its progress deadline');
    expect(Date.now() - started).toBeLessThan(15_000);
    const progressing = fake.deployment(NS, 'app-api')!.status.conditions.find((c: { type: string }) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(fake.readyPods(NS, 'app-api').map((p) => p.template.spec.containers[0].image)).toEqual([IMAGE('b'), IMAGE('b')]);
  });

  it('rollout history lists revisions 1, 2 and 3', async () => {
    const history = await kubectl(kubeconfig, ['rollout', 'history', 'deployment/app-api', '-n', NS]);
    expect(history.stderr).toBe('');
    expect(history.code).toBe(0);
    const revisions = history.stdout.split('\n').map((l) => /^(\d+)\s/.exec(l)?.[1]).filter(Boolean);
    expect(revisions).toEqual(['1', '2', '3']);
    const two = await kubectl(kubeconfig, ['rollout', 'history', 'deployment/app-api', '-n', NS, '--revision=2']);
    expect(two.code).toBe(0);
    expect(two.stdout).toContain(IMAGE('b'));
  });

  it('rollout undo goes to revision - 1 (the template of revision 2), re-used as revision 4', async () => {
    const undo = await kubectl(kubeconfig, ['rollout', 'undo', 'deployment/app-api', '-n', NS]);
    expect(undo.stderr).toBe('');
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain('deployment.apps/app-api rolled back');
    const status = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/app-api', '-n', NS, '--timeout=20s']);
    expect(status.code).toBe(0);
    expect(fake.images(NS, 'app-api')).toEqual({ api: IMAGE('b') });
    const history = await kubectl(kubeconfig, ['rollout', 'history', 'deployment/app-api', '-n', NS]);
    expect(history.stdout.split('\n').map((l) => /^(\d+)\s/.exec(l)?.[1]).filter(Boolean)).toEqual(['1', '3', '4']);
    expect(fake.deployment(NS, 'app-api')!.metadata.annotations['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('a Deployment that does not exist: kubectl says NotFound', async () => {
    const result = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/nope', '-n', NS, '--timeout=5s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('deployments.apps "nope" not found');
  });
});

/**
 * core v1 Secrets (where the fake helm keeps Helm 3's release history), checked with the real kubectl:
 * create, get by name (jsonpath), list by an equality label selector, label (a PATCH), replace (PUT,
 * with the 409 of a stale resourceVersion), delete, and the NotFound / AlreadyExists answers.
 */
describe('fake Kubernetes API server: Secrets, checked with the real kubectl', () => {
  let fake: FakeKubeApiServer;
  let dir: string;
  let kubeconfig: string;
  const SNS = 'apps';

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start();
    dir = await mkdtemp(join(tmpdir(), 'kube-secrets-'));
    kubeconfig = await fake.writeKubeconfig(join(dir, 'config'));
  });
  afterAll(async () => {
    await fake?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('create, then AlreadyExists on a second create; get by name reads data and labels', async () => {
    for (const [name, release, version, status] of [
      ['sh.helm.release.v1.shop.v1', 'shop', '1', 'superseded'],
      ['sh.helm.release.v1.shop.v2', 'shop', '2', 'deployed'],
      ['sh.helm.release.v1.other.v1', 'other', '1', 'deployed'],
    ] as const) {
      // `kubectl create secret generic` speaks protobuf (a typed clientset), which this fake does not; `create -f` speaks JSON.
      // --validate=false: the fake serves no OpenAPI document for kubectl's client-side schema check.
      const manifest = join(dir, `${name}.json`);
      await writeFile(manifest, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: SNS }, type: 'helm.sh/release.v1', data: { release: Buffer.from(`payload-${name}`).toString('base64') } }));
      const created = await kubectl(kubeconfig, ['create', '--validate=false', '-f', manifest]);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      expect(created.stdout).toContain(`secret/${name} created`);
      const labelled = await kubectl(kubeconfig, ['label', 'secret', name, '-n', SNS, 'owner=helm', `name=${release}`, `version=${version}`, `status=${status}`]);
      expect(labelled.stderr).toBe('');
      expect(labelled.code).toBe(0);
    }
    const again = await kubectl(kubeconfig, ['create', '--validate=false', '-f', join(dir, 'sh.helm.release.v1.shop.v1.json')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('secrets "sh.helm.release.v1.shop.v1" already exists');
    const status = await kubectl(kubeconfig, ['get', 'secret', 'sh.helm.release.v1.shop.v2', '-n', SNS, '-o', 'jsonpath={.metadata.labels.status}']);
    expect(status.stderr).toBe('');
    expect(status.stdout).toBe('deployed');
    const data = await kubectl(kubeconfig, ['get', 'secret', 'sh.helm.release.v1.shop.v2', '-n', SNS, '-o', 'jsonpath={.type} {.data.release}']);
    expect(data.stdout).toBe(`helm.sh/release.v1 ${Buffer.from('payload-sh.helm.release.v1.shop.v2').toString('base64')}`);
  });

  it('list by label selector (equality, comma-separated) returns only the matching release', async () => {
    const listed = await kubectl(kubeconfig, ['get', 'secrets', '-l', 'owner=helm,name=shop', '-n', SNS, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.status}{"\\n"}{end}']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.trim().split('\n')).toEqual(['sh.helm.release.v1.shop.v1=superseded', 'sh.helm.release.v1.shop.v2=deployed']);
    const table = await kubectl(kubeconfig, ['get', 'secrets', '-l', 'owner=helm,name=shop', '-n', SNS]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s/);
    expect(table.stdout).toContain('sh.helm.release.v1.shop.v2');
    expect(table.stdout).not.toContain('sh.helm.release.v1.other.v1');
    const none = await kubectl(kubeconfig, ['get', 'secrets', '-l', 'owner=helm,name=shop,status=failed', '-n', SNS]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('No resources found in apps namespace.');
  });

  it('replace (PUT) updates; a stale resourceVersion is a 409 Conflict; the type is immutable', async () => {
    const got = await kubectl(kubeconfig, ['get', 'secret', 'sh.helm.release.v1.shop.v1', '-n', SNS, '-o', 'json']);
    const secret = JSON.parse(got.stdout) as { metadata: { labels: Record<string, string>; resourceVersion: string } };
    const stale = secret.metadata.resourceVersion;
    secret.metadata.labels.status = 'failed';
    const manifest = join(dir, 'secret.json');
    await writeFile(manifest, JSON.stringify(secret));
    const replaced = await kubectl(kubeconfig, ['replace', '--validate=false', '-f', manifest]);
    expect(replaced.stderr).toBe('');
    expect(replaced.code).toBe(0);
    expect((await kubectl(kubeconfig, ['get', 'secret', 'sh.helm.release.v1.shop.v1', '-n', SNS, '-o', 'jsonpath={.metadata.labels.status}'])).stdout).toBe('failed');
    // The same manifest again carries the resourceVersion it was read at: now stale.
    expect(secret.metadata.resourceVersion).toBe(stale);
    const conflict = await kubectl(kubeconfig, ['replace', '--validate=false', '-f', manifest]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('the object has been modified');
    await writeFile(manifest, JSON.stringify({ ...secret, metadata: { ...secret.metadata, resourceVersion: undefined }, type: 'Opaque' }));
    const retyped = await kubectl(kubeconfig, ['replace', '--validate=false', '-f', manifest]);
    expect(retyped.code).toBe(1);
    expect(retyped.stderr).toContain('field is immutable');
  });

  it('delete removes it; get and delete of a missing Secret say NotFound', async () => {
    const deleted = await kubectl(kubeconfig, ['delete', 'secret', 'sh.helm.release.v1.shop.v1', '-n', SNS]);
    expect(deleted.stderr).toBe('');
    expect(deleted.stdout).toContain('secret "sh.helm.release.v1.shop.v1" deleted');
    const gone = await kubectl(kubeconfig, ['get', 'secret', 'sh.helm.release.v1.shop.v1', '-n', SNS]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('secrets "sh.helm.release.v1.shop.v1" not found');
    const again = await kubectl(kubeconfig, ['delete', 'secret', 'sh.helm.release.v1.shop.v1', '-n', SNS]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('secrets "sh.helm.release.v1.shop.v1" not found');
    expect([...fake.secrets.keys()].sort()).toEqual([`${SNS}/sh.helm.release.v1.other.v1`, `${SNS}/sh.helm.release.v1.shop.v2`]);
  });
});

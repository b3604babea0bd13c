import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKubeApiServer } from './support/fake-kube-apiserver.js';
import { helmRevisions } from './support/helm-release-secrets.js';
import { kubectl } from './support/kubectl.js';

const FAKE_HELM = resolve(import.meta.dirname, 'fixtures/fake-helm.mjs');
const NS = 'apps';

/**
 * The fake helm (test/fixtures/fake-helm.mjs) on its own, against the fake Kubernetes API server: its
 * release Secrets are what Helm 3's secret driver writes (decoded here the way decodeRelease does:
 * base64, gzip magic, JSON), with Helm's labels; a failed rollback leaves the revision it left
 * superseded; --history-max prunes the oldest but never the deployed one; no cluster, no history.
 * The real helm is NOT exercised.
 */
describe('fake helm: Helm 3 release Secrets in the fake Kubernetes API', () => {
  let kube: FakeKubeApiServer;
  let dir: string;
  let kubeconfig: string;
  const helm = (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(process.execPath, [FAKE_HELM, ...args], { env: { PATH: process.env.PATH, FAKE_HELM_STATE: dir, HOME: dir, ...env } }, (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  const statuses = (release: string) => helmRevisions(kube, NS, release).map((r) => [r.revision, r.status]);

  beforeAll(async () => {
    kube = await FakeKubeApiServer.start();
    dir = await mkdtemp(join(tmpdir(), 'fake-helm-'));
    kubeconfig = await kube.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await kube?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an install is one Secret encoded as Helm encodes it, with Helm\'s name, type and labels', async () => {
    const installed = await helm(['upgrade', '--install', 'web', './charts/web', '--version', '1.0.0', '--set', 'image.tag=v1', '--wait', '-n', NS, '--kubeconfig', kubeconfig]);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    const secret = kube.secrets.get(`${NS}/sh.helm.release.v1.web.v1`)!;
    expect(secret.type).toBe('helm.sh/release.v1');
    expect(secret.metadata.labels).toMatchObject({ owner: 'helm', name: 'web', version: '1', status: 'deployed' });
    // Updated once (pending-install -> deployed): Helm's Update replaces the labels with modifiedAt.
    expect(secret.metadata.labels.modifiedAt).toMatch(/^\d{10}$/);
    const helmString = Buffer.from(secret.data.release, 'base64').toString('utf8');
    const bytes = Buffer.from(helmString, 'base64');
    expect([...bytes.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
    const rls = JSON.parse(gunzipSync(bytes).toString('utf8'));
    expect(rls).toMatchObject({ name: 'web', version: 1, namespace: NS, info: { status: 'deployed', description: 'Install complete' }, chart: { metadata: { name: 'web', version: '1.0.0', appVersion: '1.0.0' } }, config: { image: { tag: 'v1' } } });
    const history = await helm(['history', 'web', '-o', 'json', '-n', NS, '--kubeconfig', kubeconfig]);
    expect(JSON.parse(history.stdout)).toEqual([{ revision: 1, updated: rls.info.last_deployed, status: 'deployed', chart: 'web-1.0.0', app_version: '1.0.0', description: 'Install complete' }]);
  });

  it('KUBECONFIG is honoured when --kubeconfig is not given; no cluster is an error and nothing is written', async () => {
    const viaEnv = await helm(['history', 'web', '-o', 'json', '-n', NS], { KUBECONFIG: kubeconfig });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toHaveLength(1);
    const none = await helm(['upgrade', '--install', 'web', './charts/web', '--version', '2.0.0', '-n', NS]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Kubernetes cluster unreachable');
    const wrongContext = await helm(['history', 'web', '-o', 'json', '-n', NS, '--kubeconfig', kubeconfig, '--kube-context', 'nope']);
    expect(wrongContext.stderr).toContain('context "nope" does not exist');
    expect(statuses('web')).toEqual([[1, 'deployed']]);
  });

  it('a rollback to a release that fails: the new revision failed, the one it left superseded (pkg/action/rollback.go)', async () => {
    expect((await helm(['upgrade', 'web', './charts/web', '--version', '2.0.0-broken', '-n', NS, '--kubeconfig', kubeconfig])).code).toBe(1);
    expect((await helm(['upgrade', 'web', './charts/web', '--version', '3.0.0', '-n', NS, '--kubeconfig', kubeconfig])).code).toBe(0);
    expect(statuses('web')).toEqual([[1, 'superseded'], [2, 'failed'], [3, 'deployed']]);
    const back = await helm(['rollback', 'web', '2', '--wait', '-n', NS, '--kubeconfig', kubeconfig]);
    expect(back.code).toBe(1);
    expect(statuses('web')).toEqual([[1, 'superseded'], [2, 'failed'], [3, 'superseded'], [4, 'failed']]);
    const listed = await kubectl(kubeconfig, ['get', 'secrets', '-l', 'owner=helm,name=web,status=failed', '-n', NS, '-o', 'name']);
    expect(listed.stdout.trim().split('\n')).toEqual(['secret/sh.helm.release.v1.web.v2', 'secret/sh.helm.release.v1.web.v4']);
  });

  it('--history-max prunes the oldest Secrets before each new revision (failed ones too), never the last deployed one', async () => {
    expect((await helm(['upgrade', '--install', 'api', './charts/api', '--version', '1.0.0', '-n', NS, '--kubeconfig', kubeconfig])).code).toBe(0);
    for (const v of ['1.1.0-broken', '1.2.0-broken']) expect((await helm(['upgrade', 'api', './charts/api', '--version', v, '--history-max', '2', '-n', NS, '--kubeconfig', kubeconfig])).code).toBe(1);
    // storage.go Create prunes to max - 1 before it writes: revision 2 went, the deployed revision 1 stays.
    expect(statuses('api')).toEqual([[1, 'deployed'], [3, 'failed']]);
    expect((await helm(['rollback', 'api', '1', '--history-max', '2', '-n', NS, '--kubeconfig', kubeconfig])).code).toBe(0);
    expect(statuses('api')).toEqual([[1, 'superseded'], [4, 'deployed']]);
    const listed = await kubectl(kubeconfig, ['get', 'secrets', '-l', 'owner=helm,name=api', '-n', NS, '-o', 'name']);
    expect(listed.stdout.trim().split('\n')).toEqual(['secret/sh.helm.release.v1.api.v1', 'secret/sh.helm.release.v1.api.v4']);
    // The other release in the namespace is untouched.
    expect(statuses('web')).toHaveLength(4);
  });

  it('a -f values file is merged under the --set values; a missing one is an error', async () => {
    const values = join(dir, 'values.yaml');
    await writeFile(values, 'replicaCount: 3\nimage:\n  repository: registry.local/web\n  tag: from-file\n');
    expect((await helm(['upgrade', 'web', './charts/web', '--version', '5.0.0', '-f', values, '--set', 'image.tag=v5', '-n', NS, '--kubeconfig', kubeconfig])).code).toBe(0);
    expect(helmRevisions(kube, NS, 'web').at(-1)!.values).toEqual({ replicaCount: 3, image: { repository: 'registry.local/web', tag: 'v5' } });
    const missing = await helm(['upgrade', 'web', './charts/web', '--version', '6.0.0', '-f', join(dir, 'nope.yaml'), '-n', NS, '--kubeconfig', kubeconfig]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file or directory');
  });
});

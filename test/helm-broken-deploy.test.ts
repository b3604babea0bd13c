import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FakeKubeApiServer } from './support/fake-kube-apiserver.js';
import { createReleaseSecret, helmRevisions, secretsSnapshot } from './support/helm-release-secrets.js';
import { kubectl } from './support/kubectl.js';
import { runCli, type CliResult } from './support/sandbox.js';

const ENV = 'production';
const RELEASE = 'shop';
const NS = 'apps';
const FAKE_HELM = resolve(import.meta.dirname, 'fixtures/fake-helm.mjs');

/**
 * Issue 16, Helm: the broken-deploy story through the built CLI against the fake helm
 * (test/fixtures/fake-helm.mjs; the real helm is NOT exercised), which keeps Helm 3's release Secrets in
 * the fake Kubernetes API server named by the target's kubeconfig. 1.0.0 good; 1.1.0 deploys but fails
 * the app's health check, left in place with --no-auto-rollback (recorded failed; it is helm's
 * revision - 1 from then on); 1.2.0's chart never gets ready (helm: failed) and the automatic
 * rollback is `helm rollback shop 1` (1.0.0's recorded revision), not revision 2 (1.1.0). Then a
 * pending-upgrade wedge is refused before anything changes and recovered through the journaled
 * activate step with recoverPending.
 */
describe('Helm: a failed chart rolls back to the LKG revision, not revision - 1; the pending wedge (fake helm)', () => {
  let root: string;
  let config: string;
  let ledger: Ledger;
  let health: Server;
  let healthUrl: string;
  let fakeState: string;
  let kube: FakeKubeApiServer;
  let kubeconfig: string;
  const history = () => helmRevisions(kube, NS, RELEASE);
  const summary = () => history().map((r) => [r.revision, r.status, r.app_version]);
  const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--config', config], 120_000);
  const writeConfig = (recoverPending: boolean) =>
    writeFile(config, `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  ${ENV}:\n    target:\n      type: helm\n      release: ${RELEASE}\n      namespace: ${NS}\n      chart: ./charts/shop\n      helm: ${FAKE_HELM}\n      kubeconfig: ${kubeconfig}\n      timeout: 5s\n      recoverPending: ${recoverPending}\n    health:\n      url: ${healthUrl}\n      retries: 2\n      backoffMs: 100\n`);
  const register = async (version: string, chartVersion = version) => {
    const dir = join(root, 'manifests', version);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'helm-release.json'), JSON.stringify({ chartVersion, values: { 'image.tag': version } }));
    return cli(['release', 'register', ENV, version, '--artifact', dir, '--ci', 'passed']);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hb-'));
    fakeState = join(root, 'fake-helm-state');
    // The CLI's children inherit it, and so does the fake helm they run.
    process.env.FAKE_HELM_STATE = fakeState;
    kube = await FakeKubeApiServer.start();
    kubeconfig = await kube.writeKubeconfig(join(root, 'kubeconfig'));
    // The app's health endpoint: 1.1.0 answers 500 once helm deployed it.
    health = createServer((_req, res) => {
      const bad = history().find((r) => r.status === 'deployed')?.app_version === '1.1.0';
      res.writeHead(bad ? 500 : 200).end(bad ? 'broken' : 'ok');
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
    config = join(root, 'rewind.yaml');
    await writeConfig(false);
    ledger = await openLedger(join(root, 'rewind.db'));
  }, 60_000);

  afterAll(async () => {
    await ledger?.close();
    if (health) await new Promise((r) => health.close(r));
    await kube?.stop();
    if (root) await rm(root, { recursive: true, force: true });
    delete process.env.FAKE_HELM_STATE;
  });

  it('1.0.0 deploys (revision 1); 1.1.0 deploys but fails its health check and stays, recorded failed (revision 2)', async () => {
    expect((await register('1.0.0')).code).toBe(0);
    const deployed = await cli(['deploy', ENV, '1.0.0']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    expect(summary()).toEqual([[1, 'deployed', '1.0.0']]);
    expect((await register('1.1.0')).code).toBe(0);
    const bad = await cli(['deploy', ENV, '1.1.0', '--no-auto-rollback']);
    expect(bad.code).not.toBe(0);
    expect((await ledger.getRelease(ENV, '1.1.0'))?.state).toBe('failed');
    expect(summary()).toEqual([[1, 'superseded', '1.0.0'], [2, 'deployed', '1.1.0']]);
  });

  it('1.2.0 ends failed in helm and rolls back with `helm rollback shop 1` (1.0.0), not revision - 1 (1.1.0)', async () => {
    expect((await register('1.2.0', '1.2.0-broken')).code).toBe(0);
    const result = await cli(['deploy', ENV, '1.2.0', '--no-baseline', '--json']);
    expect(result.code, result.stderr).toBe(7);
    expect((await ledger.getRelease(ENV, '1.2.0'))?.state).toBe('failed');
    const deploy = (await ledger.listOperations(ENV, { limit: 20 })).find((o) => o.kind === 'deploy' && o.toVersion === '1.2.0')!;
    expect(deploy.error).toContain('revision 3 is failed');
    const rollback = (await ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(rollback).toMatchObject({ kind: 'rollback', fromVersion: '1.2.0', toVersion: '1.0.0', state: 'succeeded', parentId: deploy.id });
    const activate = (await ledger.listSteps(rollback.id)).find((s) => s.stepId === 'activate')!;
    expect(activate.detail).toMatchObject({ rolledBackTo: 1, revision: 4 });
    // Revision 4 is a copy of revision 1 (1.0.0). Helm marks the failed revision it left superseded.
    expect(summary()).toEqual([[1, 'superseded', '1.0.0'], [2, 'superseded', '1.1.0'], [3, 'superseded', '1.2.0-broken'], [4, 'deployed', '1.0.0']]);
    // The cluster's view (the real kubectl on the release Secrets) is `helm history`'s, revision by revision.
    const listed = await kubectl(kubeconfig, ['get', 'secrets', '-l', `owner=helm,name=${RELEASE}`, '-n', NS, '-o', 'jsonpath={range .items[*]}{.metadata.labels.version}={.metadata.labels.status}{"\\n"}{end}']);
    expect(listed.stderr).toBe('');
    const helmHistory = await new Promise<string>((resolveOut, reject) => {
      execFile(process.execPath, [FAKE_HELM, 'history', RELEASE, '-o', 'json', '-n', NS, '--kubeconfig', kubeconfig], (error, stdout) => (error ? reject(error) : resolveOut(stdout)));
    });
    const fromHelm = (JSON.parse(helmHistory) as { revision: number; status: string }[]).map((r) => `${r.revision}=${r.status}`);
    expect(listed.stdout.trim().split('\n').sort()).toEqual([...fromHelm].sort());
    expect(fromHelm).toEqual(['1=superseded', '2=superseded', '3=superseded', '4=deployed']);
    const status = await cli(['status', ENV, '--json']);
    const seen = JSON.parse(status.stdout) as { current: { version: string }; target: { revisions: unknown } };
    expect(seen.current.version).toBe('1.0.0');
    expect(seen.target.revisions).toEqual({ '1.0.0': { [RELEASE]: '4' }, '1.1.0': { [RELEASE]: '2' }, '1.2.0': { [RELEASE]: '3' } });
  });

  it('a release stuck in pending-upgrade is refused before anything changes; recoverPending recovers it in the journaled activate step', async () => {
    // A helm killed mid-upgrade outside rewind: its revision's Secret stays pending-upgrade.
    const last = history().at(-1)!.release;
    await createReleaseSecret(kube, NS, { ...last, version: 5, info: { ...last.info, status: 'pending-upgrade', description: 'Preparing upgrade', last_deployed: new Date().toISOString() } });
    const pending = await kubectl(kubeconfig, ['get', 'secrets', '-l', `owner=helm,name=${RELEASE},status=pending-upgrade`, '-n', NS, '-o', 'name']);
    expect(pending.stderr).toBe('');
    expect(pending.stdout.trim()).toBe(`secret/sh.helm.release.v1.${RELEASE}.v5`);
    expect((await register('1.3.0')).code).toBe(0);
    const before = secretsSnapshot(kube, NS);
    // A plan runs no helm that changes anything and prints the argv the deploy would run (the chart
    // version is read from the manifest at prepare, after the plan: named as a placeholder).
    const dry = await cli(['deploy', ENV, '1.3.0', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`$ ${FAKE_HELM} history ${RELEASE} -o json -n ${NS}`);
    expect(dry.stdout).toContain(`$ ${FAKE_HELM} upgrade --install ${RELEASE} ${join(root, 'charts', 'shop')} --version '<chart version of 1.3.0>' --wait --timeout 5s -n ${NS}`);
    expect(secretsSnapshot(kube, NS)).toBe(before);
    const refused = await cli(['deploy', ENV, '1.3.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('REWIND_E_HELM_RELEASE_PENDING');
    expect(refused.stderr).toContain('revision 5 is pending-upgrade');
    expect(secretsSnapshot(kube, NS)).toBe(before);
    expect((await ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');

    await writeConfig(true);
    const recovered = await cli(['deploy', ENV, '1.3.0']);
    expect(recovered.code, recovered.stderr + recovered.stdout).toBe(0);
    const deploy = (await ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(deploy).toMatchObject({ kind: 'deploy', toVersion: '1.3.0', state: 'succeeded' });
    const activate = (await ledger.listSteps(deploy.id)).find((s) => s.stepId === 'activate')!;
    expect(activate.detail).toMatchObject({ steps: [{ recovered: { stuckRevision: 5, stuckStatus: 'pending-upgrade', rolledBackTo: 4, newRevision: 6 } }], revision: 7 });
    expect(summary().slice(4)).toEqual([[5, 'superseded', '1.0.0'], [6, 'superseded', '1.0.0'], [7, 'deployed', '1.3.0']]);
    expect((await ledger.getEnvironment(ENV))?.currentVersion).toBe('1.3.0');
  });
});

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { FakeKubeApiServer, NEVER_READY } from './support/fake-kube-apiserver.js';
import { freePort } from './support/docker-engine.js';
import { runCli, type CliResult } from './support/sandbox.js';

const ENV = 'production';
const NS = 'shop';
const DEPLOYMENTS = ['app-api', 'app-web'];
const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
/** The image of `deployment` in `version`; a never-ready one for the releases that must fail. */
const image = (deployment: string, version: string, ready = true) => `registry.local/${deployment}${ready ? '' : `-${NEVER_READY}`}@${digest(version)}`;
const REV = 'deployment.kubernetes.io/revision';

/**
 * Issue 16, Kubernetes: the broken-deploy story through the built CLI against the fake API server
 * (test/support/fake-kube-apiserver.ts, checked with the real kubectl 1.32 elsewhere), two
 * Deployments (app-api, app-web) rolled together as seed 001 does. History: 1.0.0 good; 1.1.0
 * rolls out but fails the app's health check, deployed with --no-auto-rollback (recorded failed,
 * left in place, recorded current by `repair`: it is the cluster's previous revision); 1.2.0 never ready → ProgressDeadlineExceeded → automatic rollback
 * lands on the LKG 1.0.0's recorded images, not on revision - 1 (1.1.0) as `kubectl rollout undo`
 * would. Bad input (unknown deployment or container, an unreachable API server) is refused before
 * anything changes.
 */
describe('Kubernetes: a never-ready release rolls back to the LKG, not to revision - 1 (fake API server)', () => {
  let fake: FakeKubeApiServer;
  let root: string;
  let config: string;
  let ledger: Ledger;
  let health: Server;

  const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--config', config], 120_000);
  const register = (version: string, ready = true, env = ENV) => cli(['release', 'register', env, version, ...DEPLOYMENTS.flatMap((d) => ['--image', `${d}=${image(d, version, ready)}`]), '--ci', 'passed']);
  const templateVersion = (d: string) => fake.deployment(NS, d)!.spec.template.metadata.annotations?.['rewind.dev/version'];
  /** Both Deployments run `version`'s images on every ready pod, and status agrees. */
  async function expectServing(version: string) {
    for (const d of DEPLOYMENTS) {
      expect(fake.images(NS, d)).toEqual({ main: image(d, version) });
      expect(templateVersion(d)).toBe(version);
      const pods = fake.readyPods(NS, d);
      expect(pods).toHaveLength(2);
      expect(pods.map((p) => p.template.spec.containers[0].image)).toEqual([image(d, version), image(d, version)]);
    }
    const status = await cli(['status', ENV, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const seen = JSON.parse(status.stdout) as { current: { version: string } | null; agreement: { agree: boolean; problems: string[] }; lock: unknown };
    expect(seen.current?.version).toBe(version);
    expect(seen.agreement).toMatchObject({ agree: true, problems: [] });
    expect(seen.lock).toBeNull();
  }

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start();
    root = await mkdtemp(join(tmpdir(), 'kb-'));
    await fake.writeKubeconfig(join(root, 'kubeconfig'));
    // An API server that is not there: a port nothing listens on.
    const closed = await freePort();
    await writeFile(join(root, 'kubeconfig-down'), `apiVersion: v1\nkind: Config\ncurrent-context: down\nclusters:\n- name: down\n  cluster:\n    server: http://127.0.0.1:${closed}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: down\n  context: { cluster: down, user: down }\nusers:\n- name: down\n  user: {}\n`);
    for (const name of DEPLOYMENTS) fake.createDeployment({ name, namespace: NS, replicas: 2, containers: { main: `registry.local/${name}@${digest('initial')}` }, progressDeadlineSeconds: 2 });
    await fake.settled();
    // The app's health endpoint behind the Services: 1.1.0 answers 500 once its pods serve.
    health = createServer((_req, res) => {
      const bad = fake.readyPods(NS, 'app-api').some((p) => p.template.spec.containers[0].image === image('app-api', '1.1.0'));
      res.writeHead(bad ? 500 : 200).end(bad ? 'broken' : 'ok');
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    const healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
    const target = (kubeconfig: string) => `    target:\n      type: kubernetes\n      namespace: ${NS}\n      kubeconfig: ${kubeconfig}\n      deployments:\n        - name: app-api\n        - name: app-web\n          containers: [main]\n      rolloutTimeoutMs: 30000\n`;
    config = join(root, 'rewind.yaml');
    await writeFile(config, `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  ${ENV}:\n${target('./kubeconfig')}    health:\n      url: ${healthUrl}\n      retries: 2\n      backoffMs: 100\n  down:\n${target('./kubeconfig-down')}`);
    ledger = await openLedger(join(root, 'rewind.db'));
  }, 60_000);

  afterAll(async () => {
    await ledger?.close();
    await fake?.stop();
    if (health) await new Promise((r) => health.close(r));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('registers 1.0.0 (both Deployments) and deploys it: both roll out, one new revision each', async () => {
    const registered = await register('1.0.0');
    expect(registered.code, registered.stderr).toBe(0);
    const deployed = await cli(['deploy', ENV, '1.0.0']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    await expectServing('1.0.0');
    for (const d of DEPLOYMENTS) expect(fake.deployment(NS, d)!.metadata.annotations[REV]).toBe('2');
  });

  it('1.1.0 rolls out but fails its health check; with --no-auto-rollback it stays in place, current and recorded failed', async () => {
    expect((await register('1.1.0')).code).toBe(0);
    const result = await cli(['deploy', ENV, '1.1.0', '--no-auto-rollback', '--json']);
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toContain('REWIND_E_DEPLOY_FAILED');
    expect((await ledger.getRelease(ENV, '1.1.0'))?.state).toBe('failed');
    for (const d of DEPLOYMENTS) {
      expect(fake.images(NS, d)).toEqual({ main: image(d, '1.1.0') });
      expect(fake.deployment(NS, d)!.metadata.annotations[REV]).toBe('3');
      expect(fake.readyPods(NS, d).map((p) => p.template.spec.containers[0].image)).toEqual([image(d, '1.1.0'), image(d, '1.1.0')]);
    }
    // Left in place, it is what the ledger records as current (still failed): `repair` finds nothing to do.
    const repaired = await cli(['repair', ENV, '--reason', 'left 1.1.0 in place']);
    expect(repaired.code, repaired.stderr).toBe(4);
    expect((await ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
    expect((await ledger.getRelease(ENV, '1.1.0'))?.state).toBe('failed');
  });

  it('1.2.0 fails with ProgressDeadlineExceeded and rolls back to the LKG 1.0.0, not to revision - 1 (1.1.0)', async () => {
    expect((await register('1.2.0', false)).code).toBe(0);
    // --no-baseline: the release serving now (1.1.0) is the unhealthy one.
    const result = await cli(['deploy', ENV, '1.2.0', '--no-baseline', '--json']);
    expect(result.code, result.stderr).toBe(7);
    expect((await ledger.getRelease(ENV, '1.2.0'))?.state).toBe('failed');
    const deploy = (await ledger.listOperations(ENV, { limit: 20 })).find((o) => o.kind === 'deploy' && o.toVersion === '1.2.0')!;
    expect(deploy.error).toMatch(/^activate: deployment "app-(api|web)" exceeded its progress deadline/);
    const activate = (await ledger.listSteps(deploy.id)).find((st) => st.stepId === 'activate')!;
    expect(activate.state).toBe('failed');
    expect(JSON.stringify(activate.detail)).toContain('ProgressDeadlineExceeded');
    const rollback = (await ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(rollback).toMatchObject({ kind: 'rollback', fromVersion: '1.2.0', toVersion: '1.0.0', state: 'succeeded', parentId: deploy.id });
    await expectServing('1.0.0');
    for (const d of DEPLOYMENTS) {
      // `kubectl rollout undo` would have taken revision 4 - 1 = 3: 1.1.0, the failed release.
      const byRevision = Object.fromEntries([...fake.replicaSets.values()].filter((rs) => rs.metadata.ownerReferences[0].name === d).map((rs) => [rs.metadata.annotations[REV], rs.spec.template.spec.containers[0].image]));
      expect(byRevision['3']).toBe(image(d, '1.1.0'));
      expect(byRevision['4']).toBe(image(d, '1.2.0', false));
      // rewind went to 1.0.0's template: its ReplicaSet re-used under the next revision, 5.
      expect(byRevision['5']).toBe(image(d, '1.0.0'));
      expect(fake.deployment(NS, d)!.metadata.annotations[REV]).toBe('5');
    }
    // status maps each release to the revision it last rolled out as (1.2.0's failed rollout too).
    const status = await cli(['status', ENV, '--json']);
    expect(JSON.parse(status.stdout).target.revisions).toEqual({ '1.0.0': { 'app-api': '5', 'app-web': '5' }, '1.1.0': { 'app-api': '3', 'app-web': '3' }, '1.2.0': { 'app-api': '4', 'app-web': '4' } });
    const human = await cli(['status', ENV]);
    expect(human.stdout).toContain('revisions       1.0.0: app-api #5, app-web #5\n');
  });

  it('bad input is refused with its code before anything changes: unknown deployment or container, an unreachable API server', async () => {
    const errorLine = (r: CliResult) => r.stderr.split('\n').find((l) => l.startsWith('error '));
    const before = { releases: await ledger.listReleases(ENV, { limit: 100 }), rv: DEPLOYMENTS.map((d) => fake.deployment(NS, d)!.metadata.resourceVersion) };
    const patches = fake.requests.filter((r) => r.startsWith('PATCH')).length;
    const unknown = await cli(['release', 'register', ENV, '9.0.0', '--image', `nope=${image('nope', '9')}`]);
    expect(unknown.code).toBe(2);
    expect(errorLine(unknown)).toBe('error REWIND_E_KUBE_NOT_FOUND: deployment nope is not one of target.deployments (app-api, app-web)');
    const container = await cli(['release', 'register', ENV, '9.0.0', '--image', `app-api/sidecar=${image('app-api', '9')}`]);
    expect(container.code).toBe(2);
    expect(errorLine(container)).toBe('error REWIND_E_KUBE_NOT_FOUND: deployment shop/app-api has no container sidecar (containers: main)');
    const down = await register('9.0.0', true, 'down');
    expect(down.code).toBe(3);
    expect(errorLine(down)).toMatch(/^error REWIND_E_KUBE_UNREACHABLE: the API server http:\/\/127\.0\.0\.1:\d+ did not answer for deployment shop\/app-api: /);
    // A plan changes nothing either: it names the PATCH and the rollout wait.
    const dry = await cli(['deploy', ENV, '1.1.0', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('PATCH (strategic merge) each Deployment');
    expect(dry.stdout).toContain('as `kubectl rollout status` decides');
    expect(await ledger.listReleases(ENV, { limit: 100 })).toEqual(before.releases);
    expect(await ledger.listReleases('down', { limit: 100 })).toEqual([]);
    expect(DEPLOYMENTS.map((d) => fake.deployment(NS, d)!.metadata.resourceVersion)).toEqual(before.rv);
    expect(fake.requests.filter((r) => r.startsWith('PATCH')).length).toBe(patches);
    await expectServing('1.0.0');
  });
});

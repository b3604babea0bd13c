import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKubeApiServer, NEVER_READY } from './support/fake-kube-apiserver.js';

const KUBECTL = '/usr/bin/kubectl';
const NS = 'shop';
const IMAGE = (tag: string) => `registry.local/app-api@sha256:${tag.repeat(64).slice(0, 64)}`;

function kubectl(kubeconfig: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dirname(kubeconfig) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

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

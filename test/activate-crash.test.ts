import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { collect, createSandbox, ENV, waitFor, type Sandbox } from './support/sandbox.js';

/**
 * Issue "Never wedged", item 1: SIGKILL rewind ~100 ms into `activate`, while PM2's reload is in
 * flight (the new release takes 800 ms to listen), then `rewind resume`. PM2's client leaves
 * PM2_HOME/reload.lock behind when it dies, and every reload for the next 30 s used to fail with
 * "Reload in progress": resume failed, the automatic rollback failed, exit 9, and ledger, link and
 * served release could end up naming three different releases.
 */
describe('a crash during activate converges (real PM2)', () => {
  // Each kill is one of the trials: the deploy, the automatic rollback, and a manual rollback three times.
  let sandbox: Sandbox;

  /**
   * Starts the CLI, waits until the journal says `activate` of a `kind` operation runs and PM2's
   * reload is in flight (its client wrote PM2_HOME/reload.lock), and SIGKILLs it there.
   */
  async function killInActivate(args: string[], kind: 'deploy' | 'rollback') {
    const child = sandbox.spawnCli(args);
    const done = collect(child);
    const operation = await waitFor(async () => {
      for (const op of await sandbox.ledger.findRunningOperations(ENV)) {
        if (op.kind !== kind) continue;
        if ((await sandbox.ledger.listSteps(op.id)).some((s) => s.stepId === 'activate' && s.state === 'running')) return op;
      }
      return undefined;
    }, 30_000, 5);
    await waitFor(async () => readFile(join(sandbox.root, 'pm2', 'reload.lock'), 'utf8').then((t) => t.trim() !== '', () => false), 10_000, 2);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    return operation;
  }

  /** Ledger, link and what serves name `version`; nothing is unfinished or locked. */
  async function expectConverged(version: string) {
    const status = await sandbox.cli(['status', ENV, '--json']);
    const parsed = JSON.parse(status.stdout) as { current: { version: string; state: string }; target: { link: string; served: { version: string }[] }; agreement: { agree: boolean; problems: string[] }; unfinished: unknown[]; lock: unknown };
    expect(parsed.agreement).toMatchObject({ agree: true, problems: [] });
    expect(parsed.current.version).toBe(version);
    expect(parsed.target.link).toBe(version);
    expect(parsed.target.served.map((s) => s.version)).toEqual([version]);
    expect(parsed.unfinished).toEqual([]);
    expect(parsed.lock).toBeNull();
    expect(await sandbox.served()).toEqual({ status: 200, version });
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
    await sandbox.release('1.0.0', { fault: { bootDelayMs: 800 } });
    await sandbox.release('1.1.0', { fault: { bootDelayMs: 800 } });
    await sandbox.release('1.2.0', { fault: { bootDelayMs: 800, health: 'fail' } });
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
  });
  afterAll(async () => sandbox?.close());

  it('a deploy killed mid-reload: resume finishes it (the dead client\'s reload lock is cleared)', async () => {
    const operation = await killInActivate(['deploy', ENV, '1.1.0', '--json'], 'deploy');
    const resumed = await sandbox.cli(['resume', ENV, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    const activate = (await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'activate');
    expect(activate).toMatchObject({ state: 'succeeded', attempt: 2 });
    // The resumed activation took the daemon over from the dead rewind and cleared the reload lock it left.
    expect((activate!.detail as { tookOverFrom?: { clearedReloadLock: boolean } }).tookOverFrom).toMatchObject({ clearedReloadLock: true });
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
    await expectConverged('1.1.0');
  });

  it('the automatic rollback killed mid-reload: resume completes the rollback', async () => {
    const operation = await killInActivate(['deploy', ENV, '1.2.0', '--json'], 'rollback');
    expect(operation).toMatchObject({ fromVersion: '1.2.0', toVersion: '1.1.0' });
    const resumed = await sandbox.cli(['resume', ENV, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.state).toBe('failed');
    await expectConverged('1.1.0');
  });

  it('a manual rollback killed mid-reload, three times over: each resume completes it', async () => {
    for (const [from, to] of [['1.1.0', '1.0.0'], ['1.0.0', '1.1.0'], ['1.1.0', '1.0.0']] as const) {
      const operation = await killInActivate(['rollback', ENV, '--to', to, '--yes', '--json'], 'rollback');
      expect(operation).toMatchObject({ fromVersion: from, toVersion: to });
      const resumed = await sandbox.cli(['resume', ENV]);
      expect(resumed.code, resumed.stderr).toBe(0);
      await expectConverged(to);
    }
  });
});

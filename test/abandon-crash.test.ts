import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { collect, createSandbox, ENV, waitFor, type Sandbox } from './support/sandbox.js';

/**
 * Rewind issue 12, item 4, first sentence: after a SIGKILL and `resume --abandon`, the release
 * stayed `deploying` for ever and the abandoned step `running`. Here with real PM2: the operation
 * is killed in its health step (the readiness delay holds the step open), then abandoned.
 */
describe('resume --abandon after a SIGKILL in the health step (real PM2)', () => {
  let sandbox: Sandbox;

  /** Waits until the ledger journals `stepId` as running in an operation of `kind`, then SIGKILLs the runner. */
  async function killDuring(args: string[], kind: 'deploy' | 'rollback', stepId: string) {
    const child = sandbox.spawnCli(args);
    const done = collect(child);
    const operation = await waitFor(async () => {
      for (const op of await sandbox.ledger.findRunningOperations(ENV)) {
        if (op.kind !== kind) continue;
        if ((await sandbox.ledger.listSteps(op.id)).some((s) => s.stepId === stepId && s.state === 'running')) return op;
      }
      return undefined;
    });
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    return operation;
  }

  /** Status agrees, nothing is unfinished or locked, and `version` serves. */
  async function expectSettled(version: string) {
    const status = await sandbox.cli(['status', ENV, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { current: { version: string; state: string }; lastKnownGood: { version: string } | null; agreement: { agree: boolean; problems: string[] }; unfinished: unknown[]; lock: unknown };
    expect(parsed.agreement).toEqual({ agree: true, problems: [], fix: null });
    expect(parsed.current.version).toBe(version);
    expect(parsed.unfinished).toEqual([]);
    expect(parsed.lock).toBeNull();
    expect(await sandbox.served()).toEqual({ status: 200, version });
    expect((await sandbox.ledger.listReleases(ENV)).filter((r) => r.state === 'deploying')).toEqual([]);
    return parsed;
  }

  beforeAll(async () => {
    sandbox = await createSandbox({ readinessDelayMs: 1500 });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    await sandbox.release('1.2.0');
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
  });
  afterAll(async () => sandbox?.close());

  it('a deploy killed in health and abandoned: the step is abandoned, the release that serves is live, status agrees', async () => {
    const operation = await killDuring(['deploy', ENV, '1.1.0', '--json'], 'deploy', 'health');
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('live');

    const abandoned = await sandbox.cli(['resume', ENV, '--abandon']);
    expect(abandoned.code, abandoned.stderr).toBe(0);
    expect(abandoned.stdout).toContain(`abandoned deploy 1.0.0 → 1.1.0 (${operation.id})`);
    expect(abandoned.stdout).not.toContain('still inconsistent');

    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('abandoned');
    const steps = await sandbox.ledger.listSteps(operation.id);
    expect(steps.find((s) => s.stepId === 'health')?.state).toBe('abandoned');
    expect(steps.filter((s) => s.state === 'running')).toEqual([]);
    // 1.1.0 serves but was never judged: live, not deploying and not good; 1.0.0 is still good and the LKG.
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('live');
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('good');
    const status = await expectSettled('1.1.0');
    expect(status.current.state).toBe('live');
    expect(status.lastKnownGood?.version).toBe('1.0.0');
  });

  it('a rollback killed in health and abandoned: its known-good target stays a candidate LKG once something else is current', async () => {
    const operation = await killDuring(['rollback', ENV, '--yes', '--json'], 'rollback', 'health');
    expect(operation).toMatchObject({ fromVersion: '1.1.0', toVersion: '1.0.0' });

    const abandoned = await sandbox.cli(['resume', ENV, '--abandon']);
    expect(abandoned.code, abandoned.stderr).toBe(0);
    expect((await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'health')?.state).toBe('abandoned');
    // 1.0.0 serves again: it had been good and nothing judged it since; 1.1.0 was rolled back from.
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('good');
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('rolled-back');
    await expectSettled('1.0.0');

    // The next good deploy supersedes it, and it is the release a rollback returns to (it was lost as `live`).
    expect((await deploy(sandbox.services, ENV, '1.2.0')).ok).toBe(true);
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('superseded');
    const status = await expectSettled('1.2.0');
    expect(status.lastKnownGood?.version).toBe('1.0.0');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { collect, createSandbox, ENV, waitFor, type Sandbox } from './support/sandbox.js';

/** Waits until the ledger journals `stepId` as running in an operation of `kind`, then SIGKILLs the runner. */
async function killDuring(sandbox: Sandbox, args: string[], kind: 'deploy' | 'rollback', stepId: string) {
  const child = sandbox.spawnCli(args);
  const done = collect(child);
  const operation = await waitFor(async () => {
    for (const op of await sandbox.ledger.findRunningOperations(ENV)) {
      if (op.kind !== kind) continue;
      const steps = await sandbox.ledger.listSteps(op.id);
      if (steps.some((s) => s.stepId === stepId && s.state === 'running')) return op;
    }
    return undefined;
  });
  child.kill('SIGKILL');
  const result = await done;
  expect(result.signal).toBe('SIGKILL');
  return { operation, pid: result.pid };
}

describe('crash safety: SIGKILL the runner mid-operation, then resume (real PM2)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    // The readiness delay holds the health step open for a second and a half: time to kill the runner in it.
    sandbox = await createSandbox({ readinessDelayMs: 1500 });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    await sandbox.release('1.2.0', { fault: { health: 'fail' } });
    await sandbox.release('1.3.0', { fault: { health: 'fail' } });
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
  });
  afterAll(async () => sandbox?.close());

  it('a deploy killed during its health step is left journaled, refuses new work, and resume finishes it', async () => {
    const { operation, pid } = await killDuring(sandbox, ['deploy', ENV, '1.1.0', '--json'], 'deploy', 'health');

    // What the crash left: a running operation, the step in flight, the dead runner's lock.
    const lock = await sandbox.ledger.getLock(ENV);
    expect(lock).toMatchObject({ pid, operationId: operation.id });
    const inFlight = (await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'health');
    expect(inFlight).toMatchObject({ state: 'running', attempt: 1 });

    // A new operation is refused with a clear pointer to resume; the dead holder's lock does not wedge it.
    const refused = await sandbox.cli(['rollback', ENV, '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('REWIND_E_OPERATION_INTERRUPTED');
    expect(refused.stderr).toContain('rewind resume');
    expect((await sandbox.ledger.listOperations(ENV, { limit: 50 })).filter((o) => o.kind === 'rollback')).toHaveLength(0);

    const status = await sandbox.cli(['status', ENV]);
    expect(status.stdout).toContain(`unfinished      deploy 1.0.0 → 1.1.0 (${operation.id})`);

    const resumed = await sandbox.cli(['resume']); // no env: resumes every environment with unfinished work
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resume deploy');

    // Consistent: the operation finished, the health step ran again, 1.1.0 serves and is good, no lock.
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    const steps = await sandbox.ledger.listSteps(operation.id);
    expect(steps.find((s) => s.stepId === 'health')).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(steps.find((s) => s.stepId === 'activate')).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
    const audit = await sandbox.ledger.listEvents(ENV, { operationIds: [operation.id] });
    expect(audit.map((e) => e.event)).toContain('operation_resumed');
  });

  it('the automatic rollback of a broken deploy, killed mid-way, is completed by resume', async () => {
    const { operation } = await killDuring(sandbox, ['deploy', ENV, '1.2.0', '--json'], 'rollback', 'health');
    expect(operation).toMatchObject({ fromVersion: '1.2.0', toVersion: '1.1.0' });
    expect(await sandbox.ledger.getLock(ENV)).toBeDefined();

    const resumed = await sandbox.cli(['resume', ENV, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => e.event === 'rollback_complete')).toMatchObject({ success: true, from: '1.2.0', to: '1.1.0' });

    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    expect((await sandbox.ledger.getOperation(operation.parentId!))?.state).toBe('failed');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.state).toBe('failed');
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
    expect(await sandbox.ledger.findRunningOperations(ENV)).toEqual([]);
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  });

  it('a deploy killed as it hands over to its rollback: resume closes the deploy with its own active time, then rolls back', async () => {
    const killed = await sandbox.cli(['deploy', ENV, '1.3.0', '--json'], { env: { REWIND_FAILPOINTS: 'deploy:operation:handover' } });
    expect(killed.signal).toBe('SIGKILL');
    const [rollback, deploy] = await sandbox.ledger.findRunningOperations(ENV).then((ops) => [ops.find((o) => o.kind === 'rollback')!, ops.find((o) => o.kind === 'deploy')!]);
    expect(rollback.parentId).toBe(deploy!.id);
    await new Promise((r) => setTimeout(r, 1000)); // time passes before anyone resumes: not the deploy's
    const resumed = await sandbox.cli(['resume', ENV, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const deployDone = events.find((e) => e.event === 'deploy_complete');
    expect(deployDone).toMatchObject({ operationId: deploy!.id, success: false, resumed: true });
    const lastStep = Math.max(...(await sandbox.ledger.listSteps(deploy!.id)).map((s) => s.finishedAt ?? s.startedAt));
    expect(deployDone!.durationMs).toBe(lastStep - deploy!.startedAt);
    expect(events.find((e) => e.event === 'rollback_complete')).toMatchObject({ operationId: rollback.id, success: true, from: '1.3.0' });
    expect((await sandbox.ledger.getOperation(deploy!.id))?.state).toBe('failed');
    expect(await sandbox.ledger.findRunningOperations(ENV)).toEqual([]);
  });

  it('a manual rollback killed during activation can be abandoned, and the ledger follows the target', async () => {
    const { operation } = await killDuring(sandbox, ['rollback', ENV, '--yes', '--json'], 'rollback', 'health');
    expect(operation).toMatchObject({ fromVersion: '1.1.0', toVersion: '1.0.0' });

    const abandoned = await sandbox.cli(['resume', ENV, '--abandon']);
    expect(abandoned.code, abandoned.stderr).toBe(0);
    expect(abandoned.stdout).toContain(`abandoned rollback 1.1.0 → 1.0.0 (${operation.id})`);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('abandoned');
    // The symlink had already been switched when the runner died: the ledger now says what the target runs.
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
    const nothing = await sandbox.cli(['resume', ENV]);
    expect(nothing.code).toBe(4);
    expect(nothing.stderr).toContain('REWIND_E_NOTHING_TO_RESUME');
  });
});

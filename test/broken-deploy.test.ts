import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { rollback } from '../src/core/operations/rollback.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// Modelled on Kamal's broken_deploy_test: a broken release must fail the deploy AND the old release
// must still serve AND the lock must be released AND the records must say what happened.
describe('deploy good → deploy broken → automatic rollback (real PM2)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await createSandbox();
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => sandbox?.close());

  it('deploys 1.0.0 and marks it good', async () => {
    const outcome = await deploy(sandbox.services, ENV, '1.0.0');
    expect(outcome.ok).toBe(true);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('good');
  });

  it('rolls back by itself when 1.1.0 fails its health check, and 1.0.0 answers again', async () => {
    const outcome = await deploy(sandbox.services, ENV, '1.1.0');
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(outcome.error?.exitCode).toBe(7);
    expect(outcome.rollback?.ok).toBe(true);

    // The old version serves, from the old release directory.
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(readlinkSync(join(sandbox.root, 'srv', 'current'))).toBe(join('releases', '1.0.0'));

    // The lock is released.
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();

    // Ledger: current and release states.
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('failed');
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('good');

    // History: the rollback follows the failed deploy and names it as parent; the journal shows where it failed.
    const [rb, failedDeploy, firstDeploy] = await sandbox.ledger.listOperations(ENV, { limit: 3 });
    expect(rb).toMatchObject({ kind: 'rollback', fromVersion: '1.1.0', toVersion: '1.0.0', state: 'succeeded', parentId: failedDeploy!.id });
    expect(failedDeploy).toMatchObject({ kind: 'deploy', toVersion: '1.1.0', state: 'failed' });
    expect(failedDeploy!.error).toMatch(/^health: unhealthy/);
    expect(firstDeploy).toMatchObject({ kind: 'deploy', toVersion: '1.0.0', state: 'succeeded' });
    const steps = await sandbox.ledger.listSteps(failedDeploy!.id);
    expect(steps.map((s) => `${s.stepId}:${s.state}`)).toEqual([
      'record-running:succeeded',
      'disk-space:succeeded',
      'baseline-health:succeeded',
      'prepare:succeeded',
      'activate:succeeded',
      'health:failed',
    ]);
    const rollbackSteps = await sandbox.ledger.listSteps(rb!.id);
    expect(rollbackSteps.every((s) => s.state === 'succeeded')).toBe(true);
    expect(rollbackSteps.map((s) => s.stepId)).toEqual(['rollback-start', 'prepare', 'activate', 'health', 'rollback-complete']);

    // Events (seed 000's log lines), in the audit table and the JSON-lines log file.
    const events = await sandbox.ledger.listEvents(ENV, { operationIds: [rb!.id] });
    expect(events[0]).toMatchObject({ event: 'rollback_start', fromVersion: '1.1.0', toVersion: '1.0.0', actor: 'tester@test' });
    // The rollback opens the environment's incident (docs/incidents.md) before it says it completed,
    // so rollback_complete (and its INCIDENT RESOLVED text) carries the incident.
    expect(events.at(-2)).toMatchObject({ event: 'incident_opened', data: { severity: 'high', issue: 'failed-deploy' } });
    expect(events.at(-1)).toMatchObject({ event: 'rollback_complete', data: { success: true, severity: 'high', incidentId: (events.at(-2)!.data as { incidentId: number }).incidentId } });
    const lines = readFileSync(sandbox.config.log.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = lines.find((l) => l.event === 'rollback_start');
    const complete = lines.find((l) => l.event === 'rollback_complete');
    expect(start).toMatchObject({ env: ENV, from: '1.1.0', to: '1.0.0', automatic: true });
    expect(complete).toMatchObject({ env: ENV, success: true });
    expect(typeof complete!.durationMs).toBe('number');
  });

  it('chooses the rollback target by recorded outcome, not position', async () => {
    // 1.2.0 becomes good, is then rolled back from by hand; 1.3.0 breaks. The release before 1.3.0
    // is 1.2.0, but it was rolled back from, so the last known good release is 1.0.0.
    await sandbox.release('1.2.0');
    await sandbox.release('1.3.0', { fault: { health: 'fail' } });
    expect((await deploy(sandbox.services, ENV, '1.2.0')).ok).toBe(true);
    const manual = await rollback(sandbox.services, ENV, { reason: 'checkout regression' });
    expect(manual.ok).toBe(true);
    expect(manual.plan.to).toBe('1.0.0');
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.state).toBe('rolled-back');

    const broken = await deploy(sandbox.services, ENV, '1.3.0');
    expect(broken.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(broken.rollback?.plan.to).toBe('1.0.0');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
  });

  it('refuses to roll back to a release whose CI did not pass unless told to', async () => {
    await sandbox.release('1.4.0', { ci: 'unknown' });
    expect((await deploy(sandbox.services, ENV, '1.4.0')).ok).toBe(true);
    await sandbox.release('1.5.0');
    expect((await deploy(sandbox.services, ENV, '1.5.0')).ok).toBe(true);
    const before = await sandbox.ledger.listOperations(ENV, { limit: 100 });
    await expect(rollback(sandbox.services, ENV, {})).rejects.toMatchObject({ code: 'REWIND_E_RELEASE_UNTESTED' });
    // Refusal changed nothing: no operation, same current release, lock free.
    expect(await sandbox.ledger.listOperations(ENV, { limit: 100 })).toHaveLength(before.length);
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.5.0');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();

    const allowed = await rollback(sandbox.services, ENV, { allowUntested: true });
    expect(allowed.ok).toBe(true);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.4.0' });
  });

  it('prints a dry-run plan with the PM2 actions and changes nothing', async () => {
    const beforeOps = (await sandbox.ledger.listOperations(ENV, { limit: 100 })).length;
    const result = await sandbox.cli(['rollback', ENV, '--to', '1.0.0', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('plan (format v1): rollback staging: 1.4.0 → 1.0.0');
    expect(result.stdout).toMatch(/rename it over .*current/);
    expect(result.stdout).toContain('pm2 API: reload');
    expect(result.stdout).toContain('(dry run: nothing was changed)');
    expect(await sandbox.ledger.listOperations(ENV, { limit: 100 })).toHaveLength(beforeOps);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.4.0' });
  });
});

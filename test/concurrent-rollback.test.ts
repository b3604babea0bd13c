import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { collect, createSandbox, ENV, type Sandbox } from './support/sandbox.js';

describe('two rollbacks started at once on one environment (real PM2, two processes)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    // The readiness delay keeps each rollback holding the lock for over a second, so the two overlap.
    sandbox = await createSandbox({ readinessDelayMs: 1200 });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
    expect((await deploy(sandbox.services, ENV, '1.1.0')).ok).toBe(true);
  });
  afterAll(async () => sandbox?.close());

  it('exactly one proceeds; the other gets REWIND_E_LOCKED naming the holder, and changes nothing', async () => {
    const [a, b] = await Promise.all([collect(sandbox.spawnCli(['rollback', ENV, '--yes'])), collect(sandbox.spawnCli(['rollback', ENV, '--yes']))]);
    const results = [a, b].sort((x, y) => (x.code ?? 99) - (y.code ?? 99));
    const [winner, loser] = results as [typeof a, typeof b];
    expect(winner.code, winner.stderr).toBe(0);
    expect(loser.code).toBe(5);
    expect(loser.stderr).toContain('error REWIND_E_LOCKED: environment staging is locked by ');
    expect(loser.stderr).toContain(`(pid ${winner.pid} on `);
    // The lock is taken before the operation is planned, so the holder may not have an operation yet;
    // when it has one, it must be the winning rollback.
    const named = /operation (op_[0-9a-z]+)\)/.exec(loser.stderr)?.[1];

    const rollbacks = (await sandbox.ledger.listOperations(ENV, { limit: 20 })).filter((o) => o.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ state: 'succeeded', fromVersion: '1.1.0', toVersion: '1.0.0' });
    if (named) expect(named).toBe(rollbacks[0]!.id);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  });
});

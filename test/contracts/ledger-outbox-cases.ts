import { describe, expect } from 'vitest';
import type { Ledger, NewNotification } from '../../src/ports/ledger.js';
import type { ContractCases } from './contract-suite.js';

/**
 * The notify outbox part of the Ledger contract (src/ports/ledger.ts, `*Notifications`): enqueue
 * once per key, claims that two senders never share and that expire when their sender dies, attempts
 * counted at claim, outcomes only from the claimant, counts, and requeueing the dead.
 */
export function ledgerOutboxCases(cases: ContractCases, ledgers: () => { ledger: Ledger; second: Ledger }, freshEnv: (label: string) => string, T0: number): void {
  const message = (env: string, n: number, overrides: Partial<NewNotification> = {}): NewNotification => ({
    key: `${env}-key-${n}`,
    env,
    notifier: 'webhook',
    destination: 'fp-0123456789ab',
    label: 'https://***@hooks.example.com/***',
    event: 'rollback_start',
    operationId: 'op-1',
    payload: { n, text: 'quotes " and ✓', nested: [1, null] },
    now: T0 + n,
    ...overrides,
  });

  describe('notify outbox', () => {
    cases.it('enqueueNotifications stores pending rows once per key, payload JSON roundtripping', async () => {
      const { ledger, second } = ledgers();
      const env = freshEnv('outbox-enqueue');
      const [first, other] = await ledger.enqueueNotifications([message(env, 1), message(env, 2)]);
      expect(first).toEqual({
        id: first!.id,
        key: `${env}-key-1`,
        env,
        notifier: 'webhook',
        destination: 'fp-0123456789ab',
        label: 'https://***@hooks.example.com/***',
        event: 'rollback_start',
        operationId: 'op-1',
        payload: { n: 1, text: 'quotes " and ✓', nested: [1, null] },
        state: 'pending',
        attempts: 0,
        nextAttemptAt: T0 + 1,
        claimedBy: null,
        claimedUntil: null,
        lastError: null,
        createdAt: T0 + 1,
        queuedAt: T0 + 1,
        updatedAt: T0 + 1,
        deliveredAt: null,
      });
      expect(other!.id).toBeGreaterThan(first!.id);
      // The same key again (a retried enqueue) changes nothing and adds no row.
      const again = await second.enqueueNotifications([message(env, 1, { payload: { changed: true }, now: T0 + 50 })]);
      expect(again).toEqual([first]);
      expect(await ledger.countNotifications(env)).toEqual({ pending: 2, delivered: 0, dead: 0 });
      expect(await ledger.enqueueNotifications([])).toEqual([]);
    });

    cases.it('claimNotifications takes due rows oldest first, counts the attempt, and hides them from other claimants until the lease ends', async () => {
      const { ledger, second } = ledgers();
      const env = freshEnv('outbox-claim');
      await ledger.enqueueNotifications([message(env, 1), message(env, 2), message(env, 3, { now: T0 + 10_000 })]);
      const claimed = await ledger.claimNotifications({ owner: 'a', now: T0 + 100, leaseMs: 1000, limit: 10, env });
      // Row 3 is not due yet.
      expect(claimed.map((r) => [r.key, r.attempts, r.claimedBy, r.claimedUntil])).toEqual([
        [`${env}-key-1`, 1, 'a', T0 + 1100],
        [`${env}-key-2`, 1, 'a', T0 + 1100],
      ]);
      expect(await second.claimNotifications({ owner: 'b', now: T0 + 200, leaseMs: 1000, limit: 10, env })).toEqual([]);
      // Claimant a died: after its lease, b claims them again (a second attempt), and a can no longer finish them.
      const reclaimed = await second.claimNotifications({ owner: 'b', now: T0 + 1100, leaseMs: 1000, limit: 1, env });
      expect(reclaimed.map((r) => [r.key, r.attempts, r.claimedBy])).toEqual([[`${env}-key-1`, 2, 'b']]);
      expect(await ledger.finishNotification(reclaimed[0]!.id, 'a', { state: 'delivered', now: T0 + 1200 })).toBe(false);
      expect(await second.finishNotification(reclaimed[0]!.id, 'b', { state: 'delivered', now: T0 + 1200 })).toBe(true);
      const [row] = await ledger.listNotifications({ env, states: ['delivered'] });
      expect(row).toMatchObject({ key: `${env}-key-1`, state: 'delivered', claimedBy: null, claimedUntil: null, deliveredAt: T0 + 1200, lastError: null, attempts: 2 });
      // A delivered row is never claimed or finished again.
      expect(await second.finishNotification(row!.id, 'b', { state: 'dead', error: 'late', now: T0 + 1300 })).toBe(false);
      expect((await ledger.claimNotifications({ owner: 'c', now: T0 + 20_000, leaseMs: 1000, limit: 10, env })).map((r) => r.key)).toEqual([`${env}-key-2`, `${env}-key-3`]);
    });

    // On one ledger (a pool on PostgreSQL: real concurrent transactions; two in-process SQLite
    // connections would block each other's write lock on the one thread).
    cases.it('concurrent claims never hand one row to two claimants', async () => {
      const { ledger } = ledgers();
      const env = freshEnv('outbox-race');
      await ledger.enqueueNotifications(Array.from({ length: 20 }, (_, n) => message(env, n)));
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.claimNotifications({ owner: `racer-${i}`, now: T0 + 100, leaseMs: 60_000, limit: 5, env })));
      // A racer that lost some of the rows it saw gets fewer; whatever is left is claimed next, once.
      const rest = await ledger.claimNotifications({ owner: 'last', now: T0 + 100, leaseMs: 60_000, limit: 20, env });
      const keys = [...results.flat(), ...rest].map((r) => r.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys).toHaveLength(20);
      expect([...results.flat(), ...rest].every((r) => r.attempts === 1)).toBe(true);
    });

    cases.it('a failed attempt waits until nextAttemptAt with its error; a dead one is counted, listed and requeued', async () => {
      const { ledger, second } = ledgers();
      const env = freshEnv('outbox-retry');
      const other = freshEnv('outbox-other');
      await ledger.enqueueNotifications([message(env, 1), message(env, 2), message(other, 3)]);
      const [one, two] = await ledger.claimNotifications({ owner: 'a', now: T0 + 10, leaseMs: 1000, limit: 10, env });
      expect(await ledger.finishNotification(one!.id, 'a', { state: 'pending', error: 'answered 500', nextAttemptAt: T0 + 5000, now: T0 + 20 })).toBe(true);
      expect(await ledger.finishNotification(two!.id, 'a', { state: 'dead', error: 'timed out after 3000 ms', now: T0 + 20 })).toBe(true);
      expect(await ledger.claimNotifications({ owner: 'b', now: T0 + 4999, leaseMs: 1000, limit: 10, env })).toEqual([]);
      const retried = await second.claimNotifications({ owner: 'b', now: T0 + 5000, leaseMs: 1000, limit: 10, env });
      expect(retried.map((r) => [r.key, r.attempts, r.lastError])).toEqual([[`${env}-key-1`, 2, 'answered 500']]);
      expect(await ledger.countNotifications(env)).toEqual({ pending: 1, delivered: 0, dead: 1 });
      expect((await ledger.countNotifications()).pending).toBeGreaterThanOrEqual(2);
      const dead = await ledger.listNotifications({ env, states: ['dead'] });
      expect(dead.map((r) => [r.key, r.state, r.lastError, r.attempts])).toEqual([[`${env}-key-2`, 'dead', 'timed out after 3000 ms', 1]]);
      // Newest first, narrowed by env.
      expect((await ledger.listNotifications({ env })).map((r) => r.key)).toEqual([`${env}-key-2`, `${env}-key-1`]);
      expect(await ledger.listNotifications({ env, states: [] })).toEqual([]);

      // Requeue: only dead rows of that env (or those ids), pending again, due now, attempts from zero.
      expect(await ledger.requeueNotifications({ env: other, now: T0 + 5500 })).toEqual([]);
      expect(await ledger.requeueNotifications({ env, ids: [], now: T0 + 5500 })).toEqual([]);
      const requeued = await second.requeueNotifications({ env, now: T0 + 5500 });
      expect(requeued.map((r) => [r.key, r.state, r.attempts, r.nextAttemptAt, r.queuedAt, r.createdAt])).toEqual([[`${env}-key-2`, 'pending', 0, T0 + 5500, T0 + 5500, T0 + 2]]);
      expect(await ledger.countNotifications(env)).toEqual({ pending: 2, delivered: 0, dead: 0 });
      expect((await ledger.claimNotifications({ owner: 'c', now: T0 + 5500, leaseMs: 1000, limit: 10, env })).map((r) => r.key)).toEqual([`${env}-key-2`]);
    });
  });
}

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { EventFanout } from '../../src/events/event-sinks.js';
import type { EventSink, RewindEvent } from '../../src/ports/event-sink.js';
import { redactor } from '../../src/util/redact.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/** An event as the sink's destination holds it, read back by the harness (a log line, an audit row, a webhook body). */
export interface DeliveredEvent {
  event: string;
  env: string;
  operationId?: string | null;
  from?: string | null;
  to?: string | null;
  [field: string]: unknown;
}

/** What an EventSink test file hands the contract: the sink, and a way to read its destination back. */
export interface EventSinkHarness {
  sink: EventSink;
  /** Everything the destination holds for `env`, in the order it was delivered, read from the destination itself. */
  delivered(env: string): Promise<DeliveredEvent[]>;
  cleanup(): Promise<void>;
}

export interface EventSinkContractOptions extends ContractRun {
  create(): Promise<EventSinkHarness>;
  capabilities: {
    /**
     * The destination is a record (the event log file, the ledger's audit table), which leaves
     * live-only progress events (`step_progress`) out. A notifier instead gets what it subscribed to.
     */
    record: boolean;
  };
}

/** The event names the contract emits; a notifier's harness subscribes to all of them. */
export const CONTRACT_EVENTS = ['deploy_start', 'step_start', 'step_complete', 'rollback_start', 'rollback_complete'] as const;

/** A sink that always fails, standing for one whose destination is down. */
class FailingSink implements EventSink {
  async emit(): Promise<void> {
    throw new Error('this sink is down');
  }
}

/**
 * The EventSink contract, read from src/ports/event-sink.ts and the composition in
 * src/events/event-sinks.ts (the core emits to an EventFanout of every sink): an emitted event
 * arrives with its env, operation, from and to and its own fields; events arrive in the order they
 * were emitted; a sink that fails does not keep the event from the others; no registered secret
 * value reaches a destination. Each case works in an environment of its own.
 */
export function eventSinkContract(options: EventSinkContractOptions): void {
  contractSuite('EventSink', options, (cases) => {
    let harness: EventSinkHarness;
    const freshEnv = (label: string) => `${label}-${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      harness = await options.create();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    cases.it('emit delivers the event with its env, operation, from, to and own fields', async () => {
      const env = freshEnv('deliver');
      const event: RewindEvent = { event: 'rollback_start', env, operationId: 'op-1', from: '1.1.0', to: '1.0.0', reason: 'error rate 12 %', automatic: true, at: Date.now() };
      await harness.sink.emit(event);
      const delivered = await harness.delivered(env);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({ event: 'rollback_start', env, operationId: 'op-1', from: '1.1.0', to: '1.0.0', reason: 'error rate 12 %', automatic: true });
    });

    cases.it('events emitted one after another arrive in that order, each once', async () => {
      const env = freshEnv('order');
      const names = [...CONTRACT_EVENTS, ...CONTRACT_EVENTS];
      for (const [n, name] of names.entries()) await harness.sink.emit({ event: name, env, operationId: 'op-2', n, at: Date.now() });
      const delivered = await harness.delivered(env);
      expect(delivered.map((e) => [e.event, e.n])).toEqual(names.map((name, n) => [name, n]));
    });

    cases.itWith('record', options.capabilities.record, 'a record leaves live-only progress events out', async () => {
      const env = freshEnv('progress');
      await harness.sink.emit({ event: 'step_start', env, operationId: 'op-3', at: Date.now() });
      await harness.sink.emit({ event: 'step_progress', env, operationId: 'op-3', attempt: 1, at: Date.now() });
      await harness.sink.emit({ event: 'step_complete', env, operationId: 'op-3', at: Date.now() });
      expect((await harness.delivered(env)).map((e) => e.event)).toEqual(['step_start', 'step_complete']);
    });

    cases.it('a sink that fails before it in the fanout does not keep the event from it, and the failure is reported', async () => {
      const env = freshEnv('failing');
      const fanout = new EventFanout('contract@test', [new FailingSink(), harness.sink, new FailingSink()]);
      await expect(fanout.emit({ event: 'rollback_start', env, operationId: 'op-4', from: '2.0.0', to: '1.0.0' })).rejects.toThrow('this sink is down');
      expect((await harness.delivered(env)).map((e) => e.event)).toEqual(['rollback_start']);
      // The next event still goes out, after the first.
      await expect(fanout.emit({ event: 'rollback_complete', env, operationId: 'op-4', from: '2.0.0', to: '1.0.0' })).rejects.toThrow();
      expect((await harness.delivered(env)).map((e) => e.event)).toEqual(['rollback_start', 'rollback_complete']);
    });

    cases.it('no registered secret value reaches the destination through the fanout', async () => {
      const env = freshEnv('secret');
      const secret = `contract-secret-${randomBytes(8).toString('hex')}`;
      redactor.add(secret);
      const fanout = new EventFanout('contract@test', [harness.sink]);
      await fanout.emit({ event: 'rollback_start', env, operationId: 'op-5', reason: `health failed: postgres://app:${secret}@db/app`, detail: { token: secret, nested: [secret] } });
      const delivered = await harness.delivered(env);
      expect(delivered).toHaveLength(1);
      expect(JSON.stringify(delivered)).not.toContain(secret);
      expect(delivered[0]!.reason).toBe('health failed: postgres://app:***@db/app');
    });
  });
}

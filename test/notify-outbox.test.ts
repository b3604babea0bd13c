import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDestination } from '../src/adapters/notifiers/webhook/webhook-destination.js';
import { webhookSchema } from '../src/adapters/notifiers/webhook/webhook-config.js';
import { backoffMs, retryableStatus } from '../src/events/delivery-backoff.js';
import { EventFanout } from '../src/events/event-sinks.js';
import { deadEvent, NotificationDeliverer } from '../src/events/notification-deliverer.js';
import { NotifyOutboxSink } from '../src/events/notify-outbox-sink.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger, NotificationRecord } from '../src/ports/ledger.js';
import type { DeliveryPolicy, NotifierDestination } from '../src/ports/notifier.js';
import { startNotifyReceiver, type NotifyReceiver } from './support/notify-receiver.js';

// The outbox end to end on a real SQLite ledger and real local HTTP receivers: queueing costs an
// emit one insert whatever the receiver does, retries back off and end dead, a sender that dies
// leaves its rows to the next one, and the idempotency key is the same on every attempt.

const FAST: DeliveryPolicy = { maxAttempts: 3, baseMs: 20, maxMs: 50, maxAgeMs: 60_000 };

function stderr(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

const hook = (url: string, extra: Record<string, unknown> = {}) => webhookDestination(webhookSchema.parse({ url, events: ['rollback_start', 'rollback_complete'], timeoutMs: 300, ...extra }));

describe('the notify outbox', () => {
  let dir: string;
  let ledger: Ledger;
  const receivers: NotifyReceiver[] = [];
  let envCount = 0;
  const deadRows: { row: NotificationRecord; error: string }[] = [];
  const freshEnv = () => `env-${++envCount}`;
  const receiver = async (answer?: NotifyReceiver['answer']) => {
    const r = await startNotifyReceiver(answer);
    receivers.push(r);
    return r;
  };
  const setup = (destinations: NotifierDestination[], policy: DeliveryPolicy = FAST) => {
    const err = stderr();
    const deliverer = new NotificationDeliverer(ledger, {
      destinations: () => destinations,
      policy: () => policy,
      stderr: err.stream,
      leaseMs: 2000,
      onDead: async (row, error) => void deadRows.push({ row, error }),
    });
    const sink = new EventFanout('tester', [new NotifyOutboxSink(ledger, () => destinations, { stderr: err.stream })]);
    return { deliverer, sink, err };
  };
  /** Runs passes until nothing is due any more (retries included), as later commands would. */
  const drain = async (deliverer: NotificationDeliverer, env: string) => {
    for (let i = 0; i < 40 && (await ledger.countNotifications(env)).pending > 0; i++) {
      await deliverer.deliverDue({ env });
      await new Promise((r) => setTimeout(r, 30));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-outbox-'));
    ledger = await openLedger(join(dir, 'ledger.db'));
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an emit only queues, whatever the receiver does; the deliverer sends with the idempotency key, the same on every attempt', async () => {
    const env = freshEnv();
    let calls = 0;
    const flaky = await receiver(() => (++calls <= 2 ? 500 : 204));
    // A roomy per-attempt timeout: this case is about answers, and on a loaded CI machine a 300 ms
    // budget was once spent before the third attempt reached the receiver (it then went dead, rightly).
    const { deliverer, sink, err } = setup([hook(`${flaky.url}/hook`, { timeoutMs: 5000 })]);
    const started = performance.now();
    await sink.emit({ event: 'rollback_start', env, operationId: 'op-1', from: '1.1.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    await sink.emit({ event: 'deploy_start', env, operationId: 'op-1', from: '1.0.0', to: '1.1.0' }); // not subscribed: nothing queued
    expect(performance.now() - started).toBeLessThan(500);
    expect(flaky.requests).toHaveLength(0);
    expect(await ledger.countNotifications(env)).toEqual({ pending: 1, delivered: 0, dead: 0 });

    await drain(deliverer, env);
    expect(flaky.requests.map((r) => r.status)).toEqual([500, 500, 204]);
    const keys = flaky.requests.map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(1);
    expect(flaky.requests.every((r) => r.headers['x-rewind-delivery'] === keys[0])).toBe(true);
    expect(JSON.parse(flaky.requests[2]!.body)).toMatchObject({ text: 'rewind ' + env + ': rollback_start 1.1.0 → 1.0.0', event: { event: 'rollback_start', env, operationId: 'op-1' } });
    const [row] = await ledger.listNotifications({ env });
    expect(row).toMatchObject({ state: 'delivered', attempts: 3, key: keys[0], lastError: null, claimedBy: null });
    expect(err.text()).toMatch(/warning: webhook http:\/\/127\.0\.0\.1:\d+\/\*\*\* failed for rollback_start: answered 500 \(attempt 1; next in /);
  });

  it('a receiver that keeps failing: exponential waits, then dead after maxAttempts with its last error', async () => {
    const env = freshEnv();
    const down = await receiver(() => 503);
    deadRows.length = 0;
    const { deliverer, sink, err } = setup([hook(`${down.url}/x?token=secret-token-q`)]);
    await sink.emit({ event: 'rollback_start', env, operationId: 'op-2', from: '2.0.0', to: '1.0.0', automatic: false, trigger: 'manual' });
    await drain(deliverer, env);
    expect(down.requests).toHaveLength(3);
    expect(await ledger.countNotifications(env)).toEqual({ pending: 0, delivered: 0, dead: 1 });
    const [dead] = await ledger.listNotifications({ env, states: ['dead'] });
    expect(dead).toMatchObject({ attempts: 3, lastError: 'answered 503', label: `http://127.0.0.1:${down.port}/***` });
    expect(err.text()).toContain('(attempt 3; dead after 3 attempt(s))');
    expect(deadRows.map((d) => d.error)).toEqual(['answered 503']);
    expect(deadEvent(deadRows[0]!.row, deadRows[0]!.error)).toEqual({
      event: 'notify_dead',
      env,
      operationId: 'op-2',
      id: dead!.id,
      notifier: 'webhook',
      destination: `http://127.0.0.1:${down.port}/***`,
      about: 'rollback_start',
      attempts: 3,
      error: 'answered 503',
    });
    expect(err.text()).not.toContain('secret-token-q');
  });

  it('a refusal (4xx other than 408/425/429) is dead at once; a destination gone from the config is dead, saying so', async () => {
    const env = freshEnv();
    const refusing = await receiver(() => 400);
    const { deliverer, sink } = setup([hook(`${refusing.url}/bad`)]);
    await sink.emit({ event: 'rollback_complete', env, operationId: 'op-3', from: '2.0.0', to: '1.0.0', success: true, durationMs: 1000 });
    await deliverer.deliverDue({ env });
    expect(refusing.requests).toHaveLength(1);
    expect((await ledger.listNotifications({ env }))[0]).toMatchObject({ state: 'dead', lastError: 'answered 400', attempts: 1 });

    const orphan = freshEnv();
    await setup([hook(`${refusing.url}/old`)]).sink.emit({ event: 'rollback_start', env: orphan, operationId: 'op-4', from: '2.0.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    await setup([hook(`${refusing.url}/new`)]).deliverer.deliverDue({ env: orphan });
    expect(refusing.requests).toHaveLength(1);
    expect((await ledger.listNotifications({ env: orphan }))[0]).toMatchObject({ state: 'dead', lastError: expect.stringContaining('is no longer in the config of ' + orphan) });
    expect([408, 425, 429, 500, 503].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410].some(retryableStatus)).toBe(false);
  });

  it('a hanging receiver: stop() ends within its budget, aborting the attempt, which is recorded and sent again by the next sender with the same key', async () => {
    const env = freshEnv();
    const hung = await receiver(() => 'hang');
    const first = setup([hook(`${hung.url}/hang`, { timeoutMs: 10_000 })], { ...FAST, baseMs: 1 });
    await first.sink.emit({ event: 'rollback_start', env, operationId: 'op-5', from: '2.0.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    first.deliverer.kick();
    await expect.poll(() => hung.requests.length, { timeout: 5000 }).toBe(1);
    const stopping = performance.now();
    await first.deliverer.stop(200);
    expect(performance.now() - stopping).toBeLessThan(1500);
    expect((await ledger.listNotifications({ env }))[0]).toMatchObject({ state: 'pending', attempts: 1, claimedBy: null, lastError: 'the command ended before the receiver answered' });
    expect(first.err.text()).toContain('failed for rollback_start: the command ended before the receiver answered (attempt 1; next in');

    hung.answer = () => 204;
    await setup([hook(`${hung.url}/hang`)]).deliverer.deliverDue({ env });
    expect(hung.requests.map((r) => r.status)).toEqual([null, 204]);
    expect(hung.requests[1]!.headers['idempotency-key']).toBe(hung.requests[0]!.headers['idempotency-key']);
    expect((await ledger.listNotifications({ env }))[0]).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('a sender that died mid-attempt (its claim left behind): the next sender waits out the lease, then resends', async () => {
    const env = freshEnv();
    const back = await receiver(() => 204);
    const { sink, deliverer } = setup([hook(`${back.url}/crash`)]);
    await sink.emit({ event: 'rollback_start', env, operationId: 'op-7', from: '2.0.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    // What a SIGKILLed process leaves: a claim of its own, with a lease, and no outcome.
    const [orphaned] = await ledger.claimNotifications({ owner: 'host:99999:dead', now: Date.now(), leaseMs: 300, limit: 10, env });
    await deliverer.deliverDue({ env });
    expect(back.requests).toHaveLength(0);
    await new Promise((r) => setTimeout(r, orphaned!.claimedUntil! - Date.now() + 20));
    await deliverer.deliverDue({ env });
    expect(back.requests).toHaveLength(1);
    expect(back.requests[0]!.headers['idempotency-key']).toBe(orphaned!.key);
    expect((await ledger.listNotifications({ env }))[0]).toMatchObject({ state: 'delivered', attempts: 2, claimedBy: null });
    // The dead sender's late outcome changes nothing.
    expect(await ledger.finishNotification(orphaned!.id, 'host:99999:dead', { state: 'dead', error: 'late', now: Date.now() })).toBe(false);
  });

  it('destinations are sent to in parallel: a hanging one does not hold another', async () => {
    const env = freshEnv();
    const hung = await receiver(() => 'hang');
    const fine = await receiver(() => 204);
    // The hung receiver holds its request for 6 s: the other one being delivered well before that
    // shows they are sent side by side (a loaded CI machine once took 300 ms to reach the hung one).
    const { deliverer, sink } = setup([hook(`${hung.url}/h`, { timeoutMs: 6000 }), hook(`${fine.url}/f`)]);
    await sink.emit({ event: 'rollback_start', env, operationId: 'op-6', from: '2.0.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    deliverer.kick();
    await expect.poll(() => hung.requests.length, { timeout: 4000 }).toBe(1);
    await expect.poll(() => fine.requests.length, { timeout: 4000 }).toBe(1);
    // The receiver having the request is not yet the ledger having its answer: stopping in between
    // aborts the attempt (sent again later, at least once). Wait for the row to be delivered.
    await expect.poll(async () => (await ledger.countNotifications(env)).delivered, { timeout: 4000 }).toBe(1);
    expect(hung.requests).toHaveLength(1);
    await deliverer.stop(0);
    expect(await ledger.countNotifications(env)).toMatchObject({ delivered: 1, pending: 1 });
  });

  it('one pass is one attempt per row, even when the jittered wait comes out as 0 (no retry storm)', async () => {
    const env = freshEnv();
    const down = await receiver(() => 500);
    const destination = hook(`${down.url}/storm`);
    const err = stderr();
    const deliverer = new NotificationDeliverer(ledger, { destinations: () => [destination], policy: () => ({ ...FAST, maxAttempts: 50, baseMs: 1 }), stderr: err.stream, random: () => 0 });
    await new NotifyOutboxSink(ledger, () => [destination]).emit({ event: 'rollback_start', env, operationId: 'op-8', from: '2.0.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    expect(await deliverer.deliverDue({ env })).toEqual({ delivered: 0, retrying: 1, dead: 0 });
    expect(down.requests).toHaveLength(1);
    expect((await ledger.listNotifications({ env }))[0]).toMatchObject({ state: 'pending', attempts: 1 });
  });

  it('a 429 with Retry-After waits at least that long before the next attempt', async () => {
    const env = freshEnv();
    const throttled = await receiver(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const { deliverer, sink, err } = setup([hook(`${throttled.url}/slow-down`)]);
    await sink.emit({ event: 'rollback_start', env, operationId: 'op-9', from: '2.0.0', to: '1.0.0', automatic: true, trigger: 'automatic' });
    const before = Date.now();
    await deliverer.deliverDue({ env });
    const [row] = await ledger.listNotifications({ env });
    expect(row).toMatchObject({ state: 'pending', attempts: 1, lastError: 'answered 429' });
    expect(row!.nextAttemptAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(err.text()).toMatch(/answered 429 \(attempt 1; next in 30\.\d s\)/);
  });

  it('backoff: full jitter within an exponential ceiling, capped at maxMs', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, policy, () => 0.999999))).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
    expect(backoffMs(3, policy, () => 0)).toBe(0);
    const draws = Array.from({ length: 200 }, () => backoffMs(3, policy));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(4000);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});

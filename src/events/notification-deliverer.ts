import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Ledger, NotificationOutcome, NotificationRecord } from '../ports/ledger.js';
import type { DeliveryPolicy, NotifierDestination } from '../ports/notifier.js';
import { redactor } from '../util/redact.js';
import { backoffMs, retryableStatus } from './delivery-backoff.js';

export interface DelivererOptions {
  /** The destinations an environment's config has now (a row whose destination is gone is dead). */
  destinations(env: string): readonly NotifierDestination[];
  /** The retry policy of an environment. */
  policy(env: string): DeliveryPolicy;
  /** Where each failed attempt is reported (a notification never fails a command). */
  stderr?: NodeJS.WritableStream;
  now?: () => number;
  random?: () => number;
  /** How long a claim holds: longer than any attempt can take (leaseFor gives the longest timeout plus 5 s). */
  leaseMs?: number;
  /** Rows claimed at a time. */
  batch?: number;
  /** Told of each message given up on (the composition root audits it as `notify_dead`); its failure is ignored. */
  onDead?(row: NotificationRecord, error: string): Promise<void>;
}

const DEFAULT_LEASE_MS = 15_000;

/** A lease that outlasts an attempt to any of these destinations: the longest timeout plus 5 s. */
export function leaseFor(destinations: readonly NotifierDestination[]): number {
  return 5000 + Math.max(DEFAULT_LEASE_MS - 5000, ...destinations.map((d) => d.timeoutMs));
}

/** The audit event for a message given up on. */
export function deadEvent(row: NotificationRecord, error: string) {
  return { event: 'notify_dead' as const, env: row.env, operationId: row.operationId, id: row.id, notifier: row.notifier, destination: row.label, about: row.event, attempts: row.attempts, error };
}

export interface DeliveryCounts {
  delivered: number;
  retrying: number;
  dead: number;
}

/** Why one attempt failed, and whether another could succeed. */
interface Failure {
  message: string;
  retryable: boolean;
  /** A Retry-After the receiver asked for, in ms. */
  retryAfterMs?: number;
}

/**
 * Sends what the outbox holds: claims due rows (leased, so two processes never send one row at
 * once and a dead process's rows come back), sends each with its destination's timeout and the
 * idempotency key, and records the outcome: delivered; retry after an exponential, jittered wait;
 * or dead once the attempts or the age run out (or the receiver refused it for good, or the
 * destination left the config). Destinations are sent to in parallel, each one's rows in order.
 *
 * `start()` runs passes in the background (timers unref'd: they never keep a process alive) and
 * `stop()` ends them within a budget, aborting what is still in flight: its rows stay claimed until
 * the lease ends and the next command sends them again (at least once).
 */
export class NotificationDeliverer {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly abort = new AbortController();
  private running: Promise<DeliveryCounts> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** stop() was called: passes finish what is due, but no timer is set for later retries. */
  private draining = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: DelivererOptions,
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Starts a background pass now (or right after the one running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass({}, true).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
    this.running.catch(() => undefined);
  }

  /**
   * Ends background delivery: passes still run (the one running and any an emit asked for since, so
   * the last events of a command go out too) until none is left or `budgetMs` is over; then what is
   * still in flight is aborted (recorded as a failed attempt) and no pass starts again. Retries that
   * are not due yet are left to the next command.
   */
  async stop(budgetMs: number): Promise<void> {
    this.draining = true;
    if (this.timer) clearTimeout(this.timer);
    const deadline = Date.now() + budgetMs;
    while (this.running && Date.now() < deadline) {
      let timeout: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timeout = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
      await Promise.race([this.running.then(() => undefined, () => undefined), expired]);
      clearTimeout(timeout);
      // A pass that ended has started the next one (kick, in its finally) when events came meanwhile.
      await Promise.resolve();
    }
    this.stopped = true;
    this.abort.abort(new Error('the command ended before the receiver answered'));
    await this.running?.catch(() => undefined);
  }

  /** One pass: claims and sends until nothing is due (`env`: that environment's rows only). Never throws for a receiver's failure. */
  deliverDue(options: { env?: string } = {}): Promise<DeliveryCounts> {
    return this.pass(options, false);
  }

  private async pass(options: { env?: string }, background: boolean): Promise<DeliveryCounts> {
    const counts: DeliveryCounts = { delivered: 0, retrying: 0, dead: 0 };
    // Due as of the pass's start: a row that fails in this pass is due again after its wait (which
    // full jitter may draw near 0), never within the same pass, so one pass is one attempt per row.
    const asOf = this.now();
    for (;;) {
      const claimed = await this.ledger.claimNotifications({ owner: this.owner, now: asOf, leaseMs: this.leaseMs(), limit: this.options.batch ?? 50, ...options });
      if (claimed.length === 0) break;
      const groups = new Map<string, NotificationRecord[]>();
      for (const row of claimed) {
        const id = `${row.env}\0${row.notifier}\0${row.destination}`;
        groups.set(id, [...(groups.get(id) ?? []), row]);
      }
      await Promise.all(
        [...groups.values()].map(async (rows) => {
          for (const row of rows) {
            const outcome = await this.attempt(row);
            counts[outcome.state === 'pending' ? 'retrying' : outcome.state] += 1;
            const finished = await this.ledger.finishNotification(row.id, this.owner, outcome).catch(() => false);
            if (finished && outcome.state === 'dead') await this.options.onDead?.(row, outcome.error).catch(() => undefined);
          }
        }),
      );
      if (this.stopped) break;
    }
    if (background && !this.stopped && !this.draining) await this.scheduleNext();
    return counts;
  }

  /** The claim's lease (claims are stamped as of the pass's start, so this also covers the pass so far). */
  private leaseMs(): number {
    return this.options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** A background timer for the next retry that falls due while this process still runs. */
  private async scheduleNext(): Promise<void> {
    const pending = await this.ledger.listNotifications({ states: ['pending'], limit: 50 }).catch(() => []);
    const next = Math.min(...pending.filter((r) => r.claimedBy === null).map((r) => r.nextAttemptAt));
    if (!Number.isFinite(next)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  private async attempt(row: NotificationRecord): Promise<NotificationOutcome> {
    const destination = this.options.destinations(row.env).find((d) => d.notifier === row.notifier && d.fingerprint === row.destination);
    if (!destination) {
      return { state: 'dead', error: `${row.notifier} destination ${row.label} is no longer in the config of ${row.env}`, now: this.now() };
    }
    const failure = await this.send(destination, row);
    const now = this.now();
    if (!failure) return { state: 'delivered', now };
    const policy = this.options.policy(row.env);
    // At least 1 ms: a row is never due again at the instant (the pass's `asOf`) it was claimed.
    const wait = Math.max(1, backoffMs(row.attempts, policy, this.options.random), failure.retryAfterMs ?? 0);
    const why = !failure.retryable
      ? 'not retried: the receiver refused it'
      : row.attempts >= policy.maxAttempts
        ? `dead after ${row.attempts} attempt(s)`
        : now + wait - row.queuedAt > policy.maxAgeMs
          ? `dead: older than ${policy.maxAgeMs} ms`
          : undefined;
    const error = redactor.redact(failure.message);
    (this.options.stderr ?? process.stderr).write(
      `warning: ${row.notifier} ${row.label} failed for ${row.event}: ${error} (attempt ${row.attempts}; ${why ?? `next in ${(wait / 1000).toFixed(1)} s`})\n`,
    );
    return why ? { state: 'dead', error, now } : { state: 'pending', error, nextAttemptAt: now + wait, now };
  }

  private async send(destination: NotifierDestination, row: NotificationRecord): Promise<Failure | undefined> {
    let request;
    try {
      request = destination.request(row.payload, { key: row.key, now: this.now() });
    } catch (error) {
      return { message: `cannot build the request: ${(error as Error).message}`, retryable: false };
    }
    const signal = AbortSignal.any([AbortSignal.timeout(destination.timeoutMs), this.abort.signal]);
    try {
      const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return undefined;
      const retryAfter = Number(response.headers.get('retry-after'));
      return { message: `answered ${response.status}`, retryable: retryableStatus(response.status), ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return { message: timedOut ? `no answer within ${destination.timeoutMs} ms` : String((error as Error).message ?? error), retryable: true };
    }
  }
}

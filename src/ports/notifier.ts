import type { RewindEvent } from '../events/event-catalog.js';

/**
 * A notifier destination: one configured webhook, Slack channel or PagerDuty service of one
 * environment. Events reach it through the ledger's outbox (events/notify-outbox-sink.ts enqueues,
 * events/notification-deliverer.ts sends), so a destination says two things: what it would send for
 * an event (stored, so it must be secret-free) and, later, the HTTP request for one stored payload
 * (where the URL, routing key and signature come in, read from the config as it is then).
 */
export interface NotifierDestination {
  /** The notifier type (`webhook`, `slack`, `pagerduty`). */
  readonly notifier: string;
  /** Which destination, stable while its identity (URL, routing key) is unchanged; no secret can be read back from it. */
  readonly fingerprint: string;
  /** For people: scheme and host, the rest masked. */
  readonly label: string;
  /** The bound of one attempt. */
  readonly timeoutMs: number;
  /** The payloads to send for this event, in order (none: not subscribed). `event` is already redacted. */
  messages(event: RewindEvent): unknown[];
  /** The request for a stored payload; `key` is the message's idempotency key, sent as a header. */
  request(payload: unknown, delivery: { key: string; now: number }): NotifierRequest;
}

export interface NotifierRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** How hard the outbox tries one message (`notify.delivery` of its environment). */
export interface DeliveryPolicy {
  /** Attempts before the message is dead. */
  maxAttempts: number;
  /** The first retry waits up to this; each next one up to twice as long (full jitter). */
  baseMs: number;
  /** No wait is longer than this. */
  maxMs: number;
  /** A message still undelivered this long after it was queued is dead. */
  maxAgeMs: number;
}

import { createHash } from 'node:crypto';

/**
 * Names a destination in the outbox without its secret: a truncated SHA-256 of its identity (the
 * URL, the routing key). It stays the same while the identity does, so a queued message finds its
 * destination again in a later process; a changed URL orphans the message (it dies, saying so)
 * instead of sending it somewhere else.
 */
export function destinationFingerprint(notifier: string, identity: string): string {
  return createHash('sha256').update(`${notifier}\0${identity}`).digest('hex').slice(0, 16);
}

/** The headers every notifier request carries: the idempotency key under the common name and rewind's own. */
export function deliveryHeaders(key: string): Record<string, string> {
  return { 'content-type': 'application/json', 'idempotency-key': key, 'x-rewind-delivery': key };
}

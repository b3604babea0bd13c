import { createHmac, randomUUID } from 'node:crypto';
import { deliveryHeaders, destinationFingerprint } from './destination-fingerprint.js';
import { DRILL_PREFIX, isDrillEvent } from './drill-notices.js';
import type { EventSink, RewindEvent } from '../ports/event-sink.js';
import type { NotifierDestination } from '../ports/notifier.js';
import { redactor } from '../util/redact.js';
import { withIsoTimes } from '../util/iso-times.js';
import { maskUrlPastHost, splitUrlCredentials } from '../util/url-credentials.js';

/** A webhook and the events it wants (seed 000: "Slack / webhook notification on rollback events"). */
export interface WebhookTarget {
  url: string;
  events: readonly string[];
  headers: Record<string, string>;
  timeoutMs: number;
  /** When set, every POST is signed with it (see `signatureHeaders`). */
  signingSecret?: string;
}

/**
 * The fields a summary line reads, wherever an event has them. Every event in the catalog fits this
 * (the compiler checks it where `summary` reads one): a new event whose `reason` is not a string,
 * say, has to be thought about here.
 */
type SummaryView = { event: string; env: string; from?: string | null; to?: string | null; success?: boolean; reason?: string; error?: string | null };

export function summary(event: SummaryView): string {
  const move = event.from !== undefined || event.to !== undefined ? ` ${event.from ?? 'none'} → ${event.to ?? 'none'}` : '';
  const outcome = event.success === true ? ' succeeded' : event.success === false ? ' FAILED' : '';
  const why = typeof event.reason === 'string' ? ` (${event.reason})` : typeof event.error === 'string' ? ` — ${event.error}` : '';
  return `rewind ${event.env}: ${event.event}${move}${outcome}${why}`;
}

/**
 * `X-Rewind-Timestamp` (unix seconds) and `X-Rewind-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`:
 * the timestamp is signed with the body so a captured request cannot be replayed later with a fresh
 * timestamp; the receiver rejects old ones (docs/config.md, "Signed webhooks"). `body` is the exact
 * string sent (fetch sends a string as its UTF-8 bytes, the bytes the HMAC reads).
 */
export function signatureHeaders(secret: string, body: string, nowMs: number = Date.now()): { 'x-rewind-timestamp': string; 'x-rewind-signature': string } {
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'x-rewind-timestamp': timestamp, 'x-rewind-signature': `v1=${signature}` };
}

/**
 * One webhook as a notifier destination (the outbox stores `{ text, event }`; the URL, headers and
 * signature are added when it is sent, the signature over the exact body with the send time, so a
 * retry is signed afresh, within the replay window). User info in the URL becomes a Basic header
 * (fetch refuses URLs with credentials); a header the config sets wins (names compared
 * case-insensitively), except the signature's, which only the secret makes. `deploy_complete` is
 * sent only when the deploy failed. A drill's event (`drill: true`) has a `text` starting `[DRILL]`.
 */
export function webhookDestination(target: WebhookTarget): NotifierDestination {
  return {
    notifier: 'webhook',
    fingerprint: destinationFingerprint('webhook', target.url),
    label: maskUrlPastHost(target.url),
    timeoutMs: target.timeoutMs,
    messages(event) {
      if (!target.events.includes(event.event)) return [];
      if (event.event === 'deploy_complete' && event.success !== false) return [];
      const at = typeof event.at === 'number' ? new Date(event.at).toISOString() : new Date().toISOString();
      return [{ text: `${isDrillEvent(event) ? DRILL_PREFIX : ''}${summary(event)}`, event: withIsoTimes({ ...event, at }) }];
    },
    request(payload, { key, now }) {
      const body = JSON.stringify(payload);
      const { url, authorization } = splitUrlCredentials(target.url);
      const headers: Record<string, string> = { ...deliveryHeaders(key), ...(authorization ? { authorization } : {}) };
      for (const [name, value] of Object.entries(target.headers)) headers[name.toLowerCase()] = value;
      if (target.signingSecret) Object.assign(headers, signatureHeaders(target.signingSecret, body, now));
      return { url, headers, body };
    },
  };
}

/**
 * Sends chosen events to webhooks at once, one attempt each, without the outbox: for tools and
 * tests that want a POST now. Operations notify through the outbox (notify-outbox-sink.ts), which
 * builds the same requests (`webhookDestination`) and retries them. Failures are reported on stderr
 * and swallowed; a webhook is named by scheme and host only (its path and query carry its token).
 */
export class WebhookSink implements EventSink {
  constructor(
    private readonly targets: (env: string) => readonly WebhookTarget[],
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  async emit(event: RewindEvent): Promise<void> {
    const safe = redactor.redactValue({ ...event, at: Date.now() });
    await Promise.all(
      this.targets(event.env).map(async (target) => {
        const destination = webhookDestination(target);
        for (const payload of destination.messages(safe)) {
          const shown = destination.label;
          try {
            const { url, headers, body } = destination.request(payload, { key: randomUUID(), now: Date.now() });
            const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(target.timeoutMs) });
            if (!response.ok) this.stderr.write(`warning: webhook ${shown} answered ${response.status} to ${event.event}\n`);
          } catch (error) {
            this.stderr.write(`warning: webhook ${shown} failed for ${event.event}: ${redactor.redact((error as Error).message)}\n`);
          }
        }
      }),
    );
  }
}

import { createHmac } from 'node:crypto';
import type { EventSink, RewindEvent } from '../ports/event-sink.js';
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
 * The request for one webhook: user info in the URL becomes a Basic header (fetch refuses URLs with
 * credentials); a header the config sets wins, except the signature's, which only the secret makes.
 */
function request(target: WebhookTarget, payload: string): { url: string; init: RequestInit } {
  const { url, authorization } = splitUrlCredentials(target.url);
  const headers = new Headers({ 'content-type': 'application/json' });
  if (authorization) headers.set('authorization', authorization);
  for (const [name, value] of Object.entries(target.headers)) headers.set(name, value);
  if (target.signingSecret) for (const [name, value] of Object.entries(signatureHeaders(target.signingSecret, payload))) headers.set(name, value);
  return { url, init: { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(target.timeoutMs) } };
}

/**
 * POSTs chosen events as JSON (`{ text, event }`, `text` for chat webhooks) to each environment's
 * webhooks. A webhook that is down must never break an operation: failures are reported on stderr
 * and swallowed, each POST is bounded by its timeout. Secrets are redacted before anything leaves,
 * and a webhook is named by scheme and host only (its path and query carry its token).
 * `deploy_complete` is sent only when the deploy failed.
 */
export class WebhookSink implements EventSink {
  constructor(
    private readonly targets: (env: string) => readonly WebhookTarget[],
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  async emit(event: RewindEvent): Promise<void> {
    if (event.event === 'deploy_complete' && event.success !== false) return;
    const wanted = this.targets(event.env).filter((t) => t.events.includes(event.event));
    if (wanted.length === 0) return;
    const payload = JSON.stringify(redactor.redactValue({ text: summary(event), event: withIsoTimes({ ...event, at: new Date().toISOString() }) }));
    await Promise.all(
      wanted.map(async (target) => {
        const shown = maskUrlPastHost(target.url);
        try {
          const { url, init } = request(target, payload);
          const response = await fetch(url, init);
          if (!response.ok) this.stderr.write(`warning: webhook ${shown} answered ${response.status} to ${event.event}\n`);
        } catch (error) {
          this.stderr.write(`warning: webhook ${shown} failed for ${event.event}: ${redactor.redact((error as Error).message)}\n`);
        }
      }),
    );
  }
}

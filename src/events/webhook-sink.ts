import type { EventSink, RewindEvent } from '../ports/event-sink.js';
import { redactor } from '../util/redact.js';

/** A webhook and the events it wants (seed 000: "Slack / webhook notification on rollback events"). */
export interface WebhookTarget {
  url: string;
  events: readonly string[];
  headers: Record<string, string>;
  timeoutMs: number;
}

function summary(event: RewindEvent): string {
  const move = event.from !== undefined || event.to !== undefined ? ` ${event.from ?? 'none'} → ${event.to ?? 'none'}` : '';
  const outcome = event.success === true ? ' succeeded' : event.success === false ? ' FAILED' : '';
  const why = typeof event.reason === 'string' ? ` (${event.reason})` : typeof event.error === 'string' ? ` — ${event.error}` : '';
  return `rewind ${event.env}: ${event.event}${move}${outcome}${why}`;
}

/**
 * POSTs chosen events as JSON (`{ text, event }`, `text` for chat webhooks) to each environment's
 * webhooks. A webhook that is down must never break an operation: failures are reported on stderr
 * and swallowed, each POST is bounded by its timeout. Secrets are redacted before anything leaves.
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
    const payload = JSON.stringify(redactor.redactValue({ text: summary(event), event: { ...event, at: new Date().toISOString() } }));
    await Promise.all(
      wanted.map(async (target) => {
        try {
          const response = await fetch(target.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...target.headers },
            body: payload,
            signal: AbortSignal.timeout(target.timeoutMs),
          });
          if (!response.ok) this.stderr.write(`warning: webhook ${redactor.redact(target.url)} answered ${response.status} to ${event.event}\n`);
        } catch (error) {
          this.stderr.write(`warning: webhook ${redactor.redact(target.url)} failed for ${event.event}: ${(error as Error).message}\n`);
        }
      }),
    );
  }
}

import { randomUUID } from 'node:crypto';
import type { EventSink, RewindEvent } from '../ports/event-sink.js';
import type { Ledger, NewNotification } from '../ports/ledger.js';
import type { NotifierDestination } from '../ports/notifier.js';
import { LIVE_ONLY_EVENTS } from '../ports/step-progress.js';
import { redactor } from '../util/redact.js';

/**
 * The notifiers' sink: an event becomes one outbox row per destination and message (a ledger
 * insert, nothing sent here), each with its own idempotency key. Sending is the deliverer's job, in
 * the background and on later commands, so a receiver that hangs or fails costs the operation
 * nothing. A failed insert (the ledger is down, which the audit sink reports) is warned about and
 * swallowed: a notification never fails an operation.
 */
export class NotifyOutboxSink implements EventSink {
  constructor(
    private readonly ledger: Ledger,
    private readonly destinations: (env: string) => readonly NotifierDestination[],
    private readonly options: { stderr?: NodeJS.WritableStream; now?: () => number; enqueued?: () => void } = {},
  ) {}

  async emit(event: RewindEvent): Promise<void> {
    if (LIVE_ONLY_EVENTS.has(event.event)) return;
    const safe = redactor.redactValue(event);
    const now = (this.options.now ?? Date.now)();
    const { operationId } = event as { operationId?: unknown };
    const rows: NewNotification[] = this.destinations(event.env).flatMap((destination) =>
      destination.messages(safe).map((payload) => ({
        key: randomUUID(),
        env: event.env,
        notifier: destination.notifier,
        destination: destination.fingerprint,
        label: destination.label,
        event: event.event,
        operationId: typeof operationId === 'string' ? operationId : null,
        // Redacted again: a payload may quote the event in new ways (a template).
        payload: redactor.redactValue(payload),
        now,
      })),
    );
    if (rows.length === 0) return;
    try {
      await this.ledger.enqueueNotifications(rows);
    } catch (error) {
      (this.options.stderr ?? process.stderr).write(`warning: could not queue ${rows.length} notification(s) for ${event.event}: ${redactor.redact((error as Error).message)}\n`);
      return;
    }
    this.options.enqueued?.();
  }
}

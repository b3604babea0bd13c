import type { RewindEvent } from '../events/event-catalog.js';

export type { RewindEvent } from '../events/event-catalog.js';

/**
 * Where events go: the ledger's audit table, the JSON-lines log file, stdout (`--json` lines or the
 * human view) and the notify outbox (webhooks, Slack, PagerDuty, sent from there), all behind one
 * fanout that stamps `actor` and `at` and redacts secrets.
 * An event is one of the catalog's (events/event-catalog.ts, documented in docs/events.md): a sink
 * narrows on `event.event` to read its fields. A sink that writes records (ledger, log file) leaves
 * out the live-only events (`LIVE_ONLY_EVENTS`); what a sink writes is the event as given, so an
 * event's JSON is the same in every record.
 */
export interface EventSink {
  emit(event: RewindEvent): Promise<void>;
}

import type { NotifierDestination } from '../ports/notifier.js';

// How notifiers treat a drill (`rewind drill`, docs/drills.md): its deploy and rollback events carry
// `drill: true` and are a rehearsal, never an incident. Apart from the destinations so the config
// schema reads the modes without loading them.

/**
 * `notify.drills`: `summary` (default) tells every destination in one line starting `[DRILL]`
 * (PagerDuty: a change event, which pages no one); `quiet` leaves PagerDuty out as well; `off` sends
 * nothing for a drill's events. In no mode is a drill an incident: no PagerDuty trigger or resolve,
 * no INCIDENT ALERT or RESOLVED text.
 */
export { DEFAULT_DRILL_NOTICES, DRILL_NOTICES, type DrillNotices } from './drill-notice-constants.js';

/** What a drill's one-line summary starts with, wherever it is sent. */
export const DRILL_PREFIX = '[DRILL] ';

/** Whether an event belongs to a drill's operation (its `drill: true`, set from the plan). */
export const isDrillEvent = (event: object): boolean => (event as { drill?: unknown }).drill === true;

/** A destination that sends nothing for a drill's events (`notify.drills: off`); everything else as it is. */
export function silentOnDrills(destination: NotifierDestination): NotifierDestination {
  return {
    notifier: destination.notifier,
    fingerprint: destination.fingerprint,
    label: destination.label,
    timeoutMs: destination.timeoutMs,
    messages: (event) => (isDrillEvent(event) ? [] : destination.messages(event)),
    request: (payload, delivery) => destination.request(payload, delivery),
  };
}

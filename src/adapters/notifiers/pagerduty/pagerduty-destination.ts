import { DEFAULT_DRILL_NOTICES, DRILL_PREFIX, isDrillEvent, type DrillNotices } from '../../../events/drill-notices.js';
import { summary } from '../../../events/webhook-sink.js';
import type { NotifierDestination } from '../../../ports/notifier.js';
import { withIsoTimes } from '../../../util/iso-times.js';
import { maskUrlPastHost } from '../../../util/url-credentials.js';
import { deliveryHeaders, destinationFingerprint } from '../../../events/destination-fingerprint.js';
import { PAGERDUTY_NOTIFIER_TYPE, type PagerDutyConfig } from './pagerduty-config.js';

/** What the outbox stores for PagerDuty: the path and the body without `routing_key` (the secret, added when sending). */
interface PagerDutyMessage {
  path: '/v2/enqueue' | '/v2/change/enqueue';
  body: Record<string, unknown>;
}

/** PagerDuty's limit on `payload.summary`. */
const SUMMARY_LIMIT = 1024;

/** The incident of one rollback: its trigger and its resolve share it, and a retried trigger merges into it. */
export const rollbackDedupKey = (env: string, operationId: string) => `rewind/${env}/rollback/${operationId}`;

/**
 * The incident a rollback's event carries, for the summary a responder reads first: ` [incident #3,
 * severity high]`, or the part of it the event has (a rollback that opens an incident has its
 * severity at the start and its number at the end); empty for an event without one.
 */
function incidentNote(event: object): string {
  const { incidentId, severity } = event as { incidentId?: unknown; severity?: unknown };
  const parts = [typeof incidentId === 'number' ? `incident #${incidentId}` : '', typeof severity === 'string' ? `severity ${severity}` : ''].filter(Boolean);
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

/**
 * One `notify.pagerduty` entry as an outbox destination (Events API v2): `rollback_start` triggers
 * an alert, a successful `rollback_complete` resolves it (dedup key per rollback operation), and every
 * other chosen event, `rollback_complete` included, goes to /v2/change/enqueue as a change event,
 * which PagerDuty shows on the service's timeline and never pages for. A drill's events
 * (`drill: true`) never trigger or resolve, whatever the config: with `notify.drills: summary` they
 * are change events whose summary starts `[DRILL]`, otherwise nothing.
 */
export function pagerdutyDestination(config: PagerDutyConfig, drills: DrillNotices = DEFAULT_DRILL_NOTICES): NotifierDestination {
  const base = config.endpoint.replace(/\/+$/, '');
  return {
    notifier: PAGERDUTY_NOTIFIER_TYPE,
    fingerprint: destinationFingerprint(PAGERDUTY_NOTIFIER_TYPE, `${base}\0${config.routingKey}`),
    label: `${maskUrlPastHost(base)} (Events API v2)`,
    timeoutMs: config.timeoutMs,
    messages(event): PagerDutyMessage[] {
      if (!config.events.includes(event.event as never)) return [];
      const drill = isDrillEvent(event);
      if (drill && drills !== 'summary') return [];
      const at = typeof event.at === 'number' ? event.at : Date.now();
      const timestamp = new Date(at).toISOString();
      const details = withIsoTimes({ ...event, at: timestamp });
      const source = `rewind/${event.env}`;
      const text = `${drill ? DRILL_PREFIX : ''}${summary(event)}${incidentNote(event)}`.slice(0, SUMMARY_LIMIT);
      const operationId = (event as { operationId?: unknown }).operationId;
      const out: PagerDutyMessage[] = [];
      if (event.event === 'rollback_start' && typeof operationId === 'string' && !drill) {
        out.push({
          path: '/v2/enqueue',
          body: {
            event_action: 'trigger',
            dedup_key: rollbackDedupKey(event.env, operationId),
            payload: { summary: text, source, severity: config.severity, timestamp, component: event.env, group: 'rewind', class: 'rollback', custom_details: details },
          },
        });
        return out;
      }
      if (event.event === 'rollback_complete' && event.success === true && typeof operationId === 'string' && !drill) {
        out.push({ path: '/v2/enqueue', body: { event_action: 'resolve', dedup_key: rollbackDedupKey(event.env, operationId) } });
      }
      out.push({ path: '/v2/change/enqueue', body: { payload: { summary: text, source, timestamp, custom_details: details } } });
      return out;
    },
    request(payload, { key }) {
      const message = payload as PagerDutyMessage;
      return { url: `${base}${message.path}`, headers: deliveryHeaders(key), body: JSON.stringify({ routing_key: config.routingKey, ...message.body }) };
    },
  };
}

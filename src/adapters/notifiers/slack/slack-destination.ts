import { DRILL_PREFIX, isDrillEvent } from '../../../events/drill-notices.js';
import { incidentText, type IncidentSettings } from '../../../events/incident-templates.js';
import { summary } from '../../../events/webhook-sink.js';
import type { NotifierDestination } from '../../../ports/notifier.js';
import { withIsoTimes } from '../../../util/iso-times.js';
import { maskUrlPastHost } from '../../../util/url-credentials.js';
import { deliveryHeaders, destinationFingerprint } from '../../../events/destination-fingerprint.js';
import { SLACK_NOTIFIER_TYPE, type SlackConfig } from './slack-config.js';

/** Slack's limit on a section's text. */
const SECTION_LIMIT = 3000;

/** The incident texts' Markdown bold (`**x**`) as Slack's mrkdwn writes it (`*x*`). */
const mrkdwn = (text: string) => text.replace(/\*\*(.+?)\*\*/g, '*$1*');
const clip = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit - 1)}…`);

/**
 * The event as Slack message metadata (`event_type`, `event_payload`), for apps in the workspace that
 * act on rewind's messages: scalar fields as they are, others as JSON text (metadata payloads hold
 * scalars), absent ones left out.
 */
function metadata(event: Parameters<NotifierDestination['messages']>[0]): { event_type: string; event_payload: Record<string, string | number | boolean> } {
  const payload: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(withIsoTimes(event) as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    payload[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
  }
  return { event_type: `rewind_${event.event}`, event_payload: payload };
}

/**
 * A Slack message for an event (a drill's: its one `[DRILL]` line): Block Kit `blocks` (the first line of an incident text as the
 * header, the rest as a section, a context line naming the environment and operation), `text`, the
 * whole text as written, which Slack shows in notifications and where blocks cannot be shown, and
 * the event as message `metadata`.
 */
export function slackMessage(event: Parameters<NotifierDestination['messages']>[0], incident: IncidentSettings): { text: string; blocks: unknown[]; metadata: ReturnType<typeof metadata> } {
  // A drill is a rehearsal: one [DRILL] line, never the INCIDENT ALERT or RESOLVED text.
  const text = isDrillEvent(event) ? `${DRILL_PREFIX}${summary(event)}` : (incidentText(event, incident) ?? summary(event));
  const [first = '', ...rest] = text.split('\n');
  const body = rest.join('\n').trim();
  const operation = (event as { operationId?: unknown }).operationId;
  const context = { type: 'context', elements: [{ type: 'mrkdwn', text: `rewind · ${event.env} · ${event.event}${typeof operation === 'string' ? ` · ${operation}` : ''}` }] };
  const blocks = body
    ? [{ type: 'header', text: { type: 'plain_text', text: clip(first, 150), emoji: true } }, { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn(body), SECTION_LIMIT) } }, context]
    : [{ type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn(first), SECTION_LIMIT) } }, context];
  return { text, blocks, metadata: metadata(event) };
}

/** One `notify.slack` entry as an outbox destination; the webhook URL (the secret) is read only when sending. */
export function slackDestination(config: SlackConfig, incident: IncidentSettings): NotifierDestination {
  return {
    notifier: SLACK_NOTIFIER_TYPE,
    fingerprint: destinationFingerprint(SLACK_NOTIFIER_TYPE, config.webhookUrl),
    label: maskUrlPastHost(config.webhookUrl),
    timeoutMs: config.timeoutMs,
    messages(event) {
      if (!config.events.includes(event.event as never)) return [];
      if (event.event === 'deploy_complete' && event.success !== false) return [];
      return [slackMessage(event, incident)];
    },
    request(payload, { key }) {
      return { url: config.webhookUrl, headers: deliveryHeaders(key), body: JSON.stringify(payload) };
    },
  };
}

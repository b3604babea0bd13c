import { incidentText, type IncidentSettings } from '../../../events/incident-templates.js';
import { summary } from '../../../events/webhook-sink.js';
import type { NotifierDestination } from '../../../ports/notifier.js';
import { maskUrlPastHost } from '../../../util/url-credentials.js';
import { deliveryHeaders, destinationFingerprint } from '../destination-fingerprint.js';
import { SLACK_NOTIFIER_TYPE, type SlackConfig } from './slack-config.js';

/** Slack's limit on a section's text. */
const SECTION_LIMIT = 3000;

/** The seed's Markdown bold (`**x**`) as Slack's mrkdwn writes it (`*x*`). */
const mrkdwn = (text: string) => text.replace(/\*\*(.+?)\*\*/g, '*$1*');
const clip = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit - 1)}…`);

/**
 * A Slack message for an event: Block Kit `blocks` (the first line of an incident text as the
 * header, the rest as a section, a context line naming the environment and operation) and `text`,
 * the whole text as written, which Slack shows in notifications and where blocks cannot be shown.
 */
export function slackMessage(event: Parameters<NotifierDestination['messages']>[0], incident: IncidentSettings): { text: string; blocks: unknown[] } {
  const text = incidentText(event, incident) ?? summary(event);
  const [first = '', ...rest] = text.split('\n');
  const body = rest.join('\n').trim();
  const operation = (event as { operationId?: unknown }).operationId;
  const context = { type: 'context', elements: [{ type: 'mrkdwn', text: `rewind · ${event.env} · ${event.event}${typeof operation === 'string' ? ` · ${operation}` : ''}` }] };
  const blocks = body
    ? [{ type: 'header', text: { type: 'plain_text', text: clip(first, 150), emoji: true } }, { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn(body), SECTION_LIMIT) } }, context]
    : [{ type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn(first), SECTION_LIMIT) } }, context];
  return { text, blocks };
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

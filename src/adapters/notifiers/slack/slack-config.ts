import * as z from 'zod';
import { EVENT_NAMES, type EventName } from '../../../events/event-catalog.js';

export const SLACK_NOTIFIER_TYPE = 'slack';

/** One entry of `notify.slack`: a Slack incoming webhook. */
export const slackSchema = z.strictObject({
  webhookUrl: z
    .url({ protocol: /^https?$/ })
    .describe('The channel\'s incoming webhook URL (https://hooks.slack.com/services/T…/B…/…); its path is the token, so it is a secret: typically ${SLACK_WEBHOOK_URL}.'),
  events: z
    .array(z.enum(EVENT_NAMES as [EventName, ...EventName[]]))
    .default(['rollback_start', 'rollback_complete', 'watch_paused', 'deploy_complete', 'restore_complete', 'down_complete', 'lock_forced'])
    .describe('Event names to post (deploy_complete only when a deploy failed). rollback_start posts the incident alert, a successful rollback_complete the resolution (notify.incident).'),
  timeoutMs: z.number().int().min(1).default(3000).describe('The bound of one attempt.'),
});

export type SlackConfig = z.infer<typeof slackSchema>;

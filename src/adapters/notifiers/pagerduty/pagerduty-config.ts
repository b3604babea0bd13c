import * as z from 'zod';
import { EVENT_NAMES, type EventName } from '../../../events/event-catalog.js';

export const PAGERDUTY_NOTIFIER_TYPE = 'pagerduty';

/** One entry of `notify.pagerduty`: a PagerDuty service's Events API v2 integration. */
export const pagerdutySchema = z.strictObject({
  routingKey: z
    .string()
    .min(8)
    .describe('The integration key of the service\'s Events API v2 integration (32 characters): a secret, typically ${PAGERDUTY_ROUTING_KEY}.'),
  events: z
    .array(z.enum(EVENT_NAMES as [EventName, ...EventName[]]))
    .default(['rollback_start', 'rollback_complete', 'deploy_complete'])
    .describe('rollback_start triggers an incident and a successful rollback_complete resolves it (one dedup key per rollback); every other chosen event, rollback_complete included, is sent as a change event, which pages no one.'),
  severity: z.enum(['critical', 'error', 'warning', 'info']).default('critical').describe('The severity of the incident a rollback triggers.'),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .default('https://events.pagerduty.com')
    .describe('The Events API base URL: /v2/enqueue and /v2/change/enqueue are under it (a proxy, a test receiver).'),
  timeoutMs: z.number().int().min(1).default(3000).describe('The bound of one attempt.'),
});

export type PagerDutyConfig = z.infer<typeof pagerdutySchema>;

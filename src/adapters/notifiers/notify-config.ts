import * as z from 'zod';
import { DEFAULT_DRILL_NOTICES, DRILL_NOTICES } from '../../events/drill-notice-constants.js';
import { DEFAULT_INCIDENT_SETTINGS, TEMPLATE_PLACEHOLDERS, unknownPlaceholders } from '../../events/incident-template-constants.js';
import { pagerdutySchema } from './pagerduty/pagerduty-config.js';
import { slackSchema } from './slack/slack-config.js';
import { webhookSchema } from './webhook/webhook-config.js';

// `notify:` of an environment, composed from each notifier's own schema (one key per notifier in
// adapters/registry.ts NOTIFIERS, by its configKey), plus how the outbox delivers and the incident texts.

const template = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const unknown = unknownPlaceholders(text);
    if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown placeholder(s) ${unknown.map((n) => `{{${n}}}`).join(', ')}; known: ${TEMPLATE_PLACEHOLDERS.join(', ')}` });
  });

export const deliverySettingsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(100).default(8).describe('Attempts per message before it is dead (`rewind notify retry` requeues it).'),
  baseMs: z.number().int().min(1).default(1000).describe('The first retry waits a random time up to this; each next one up to twice as long (full jitter).'),
  maxMs: z.number().int().min(1).default(300_000).describe('No wait between attempts is longer than this.'),
  maxAgeMs: z.number().int().min(1).default(86_400_000).describe('A message not delivered this long after it was queued is dead.'),
  drainMs: z.number().int().min(0).default(5000).describe('How long a command that queued notifications waits, after its work is done, for them to go out; the rest go with the next command.'),
});

export const incidentSettingsSchema = z.strictObject({
  severity: z.string().min(1).optional().describe("Pins what is said under Severity; default: the incident's severity from the decision matrix."),
  impact: z.string().min(1).optional().describe('Said under Impact; default: the release that failed and why.'),
  etaMinutes: z.number().int().min(1).default(DEFAULT_INCIDENT_SETTINGS.etaMinutes).describe('How long a rollback is expected to take: the alert\'s ETA and estimated completion.'),
  nextUpdateMinutes: z.number().int().min(1).default(DEFAULT_INCIDENT_SETTINGS.nextUpdateMinutes).describe('When the alert promises the next update.'),
  alert: template.optional().describe('The text posted when a rollback starts (default: the INCIDENT ALERT in docs/config.md); {{placeholders}} as in docs/config.md.'),
  resolved: template.optional().describe('The text posted when a rollback succeeds (default: the INCIDENT RESOLVED in docs/config.md).'),
});

export const notifySettingsSchema = z.strictObject({
  webhooks: z.array(webhookSchema).default([]),
  slack: z.array(slackSchema).default([]).describe('Slack incoming webhooks: Block Kit messages with a text fallback.'),
  pagerduty: z.array(pagerdutySchema).default([]).describe('PagerDuty services (Events API v2): an incident per rollback, change events for deploys.'),
  delivery: deliverySettingsSchema.prefault({}).describe('How the outbox retries: exponential backoff with full jitter, up to maxAttempts and maxAgeMs.'),
  incident: incidentSettingsSchema.prefault({}).describe('The incident alert and resolution texts (Slack), an incident alert and a resolution by default.'),
  drills: z
    .enum(DRILL_NOTICES)
    .default(DEFAULT_DRILL_NOTICES)
    .describe('How the events of a drill (rewind drill) are told: summary, a [DRILL] line (PagerDuty: a change event); quiet, the same without PagerDuty; off, nothing. A drill never pages and never posts an incident text.'),
});

export type NotifySettings = z.infer<typeof notifySettingsSchema>;

/** The delivery policy of an environment without `notify:` (a message queued before its notifiers were removed). */
export const DEFAULT_DELIVERY = deliverySettingsSchema.parse({});

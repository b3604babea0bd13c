import * as z from 'zod';
import { EVENT_NAMES, type EventName } from '../../../events/event-catalog.js';

export const WEBHOOK_NOTIFIER_TYPE = 'webhook';

/** One entry of `notify.webhooks`. */
export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).describe('Receives a POST with {"text", "event"} (JSON) per chosen event; the text suits Slack-style incoming webhooks.'),
  events: z
    // Only names rewind emits (docs/events.md): a misspelled one would otherwise never fire, silently.
    .array(z.enum(EVENT_NAMES as [EventName, ...EventName[]]))
    .default(['rollback_start', 'rollback_complete', 'watch_paused', 'deploy_complete', 'restore_complete', 'down_complete', 'lock_forced'])
    .describe('Event names to send (deploy_complete only when a deploy failed).'),
  headers: z.record(z.string(), z.string()).default({}).describe('Sent with every POST; values are treated as secrets.'),
  timeoutMs: z.number().int().min(1).default(3000),
  signingSecret: z
    .string()
    .min(16)
    .optional()
    .describe(
      'Signs every POST: X-Rewind-Timestamp (unix seconds) and X-Rewind-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">, so the receiver can tell rewind from anyone who learned its URL (docs/config.md, "Signed webhooks"). Typically ${REWIND_WEBHOOK_SECRET}; treated as a secret.',
    ),
});

export type WebhookConfig = z.infer<typeof webhookSchema>;

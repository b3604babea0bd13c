import { webhookDestination as destinationOf } from '../../../events/webhook-sink.js';
import type { NotifierDestination } from '../../../ports/notifier.js';
import type { WebhookConfig } from './webhook-config.js';

/**
 * One `notify.webhooks` entry as an outbox destination. The request is built in
 * events/webhook-sink.ts, which the one-shot WebhookSink shares, so both sign and authenticate alike.
 */
export function webhookDestination(config: WebhookConfig): NotifierDestination {
  return destinationOf(config);
}

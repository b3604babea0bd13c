import type { NotifierDefinition } from '../../../ports/adapter-definition.js';
import { webhookUrlSecrets } from '../../../config/parts/secret-policy.js';
import { WEBHOOK_NOTIFIER_TYPE, webhookSchema, type WebhookConfig } from './webhook-config.js';

/** POSTs chosen events as JSON to each environment's webhooks (`notify.webhooks`); the sink itself is events/webhook-sink.ts. */
export const webhookNotifierDefinition: NotifierDefinition<WebhookConfig> = {
  kind: 'notifier',
  name: WEBHOOK_NOTIFIER_TYPE,
  type: WEBHOOK_NOTIFIER_TYPE,
  configSchema: webhookSchema,
  secrets: (config) => [...webhookUrlSecrets(config.url), ...Object.values(config.headers), ...(config.signingSecret ? [config.signingSecret] : [])],
  capabilities: undefined,
  load: async () => {
    const { WebhookSink } = await import('../../../events/webhook-sink.js');
    return (webhooksOf, { stderr }) => new WebhookSink(webhooksOf, stderr);
  },
};

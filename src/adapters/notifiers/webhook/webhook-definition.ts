import type { NotifierDefinition } from '../../../ports/adapter-definition.js';
import { webhookUrlSecrets } from '../../../config/parts/secret-policy.js';
import { WEBHOOK_NOTIFIER_TYPE, webhookSchema, type WebhookConfig } from './webhook-config.js';

/** POSTs chosen events as JSON to each environment's webhooks (`notify.webhooks`), signed when a signingSecret is set. */
export const webhookNotifierDefinition: NotifierDefinition<WebhookConfig> = {
  kind: 'notifier',
  name: WEBHOOK_NOTIFIER_TYPE,
  type: WEBHOOK_NOTIFIER_TYPE,
  configKey: 'webhooks',
  configSchema: webhookSchema,
  secrets: (config) => [...webhookUrlSecrets(config.url), ...Object.values(config.headers), ...(config.signingSecret ? [config.signingSecret] : [])],
  capabilities: undefined,
  load: async () => {
    const { webhookDestination } = await import('./webhook-destination.js');
    return (config) => webhookDestination(config);
  },
};

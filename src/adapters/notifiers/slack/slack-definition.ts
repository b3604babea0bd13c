import type { NotifierDefinition } from '../../../ports/adapter-definition.js';
import { webhookUrlSecrets } from '../../../config/parts/secret-policy.js';
import { SLACK_NOTIFIER_TYPE, slackSchema, type SlackConfig } from './slack-config.js';

/** Posts to Slack incoming webhooks (`notify.slack`): Block Kit blocks with a text fallback, the incident alert and resolution texts. */
export const slackNotifierDefinition: NotifierDefinition<SlackConfig> = {
  kind: 'notifier',
  name: SLACK_NOTIFIER_TYPE,
  type: SLACK_NOTIFIER_TYPE,
  configKey: 'slack',
  configSchema: slackSchema,
  secrets: (config) => [config.webhookUrl, ...webhookUrlSecrets(config.webhookUrl)],
  capabilities: undefined,
  load: async () => {
    const { slackDestination } = await import('./slack-destination.js');
    return (config, { incident }) => slackDestination(config, incident);
  },
};

import type { NotifierDefinition } from '../../../ports/adapter-definition.js';
import { PAGERDUTY_NOTIFIER_TYPE, pagerdutySchema, type PagerDutyConfig } from './pagerduty-config.js';

/** PagerDuty Events API v2 (`notify.pagerduty`): an incident per rollback, change events for deploys and rollbacks. */
export const pagerdutyNotifierDefinition: NotifierDefinition<PagerDutyConfig> = {
  kind: 'notifier',
  name: PAGERDUTY_NOTIFIER_TYPE,
  type: PAGERDUTY_NOTIFIER_TYPE,
  configKey: 'pagerduty',
  configSchema: pagerdutySchema,
  secrets: (config) => [config.routingKey],
  capabilities: undefined,
  load: async () => {
    const { pagerdutyDestination } = await import('./pagerduty-destination.js');
    return (config, { drills }) => pagerdutyDestination(config, drills);
  },
};

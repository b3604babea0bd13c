import type { RouterDefinition } from '../../../ports/adapter-definition.js';
import { ALB_ROUTER_TYPE, albTrafficRouterSchema, type AlbRouterConfig } from './alb-config.js';

/** An ALB listener's weighted forward action (ModifyListener): no proxy process of rewind's to reload. */
export const albRouterDefinition: RouterDefinition<AlbRouterConfig> = {
  kind: 'router',
  name: ALB_ROUTER_TYPE,
  type: ALB_ROUTER_TYPE,
  configSchema: albTrafficRouterSchema,
  capabilities: {
    supportsWeights: true,
    // The load balancer applies a new forward action to new requests; no connection is closed.
    reloadFree: true,
    // DescribeListeners reads what the load balancer applies, not a file rewind wrote.
    readsLiveWeights: true,
  },
  // Forwards to target groups and checks DescribeTargetHealth before a group gets traffic: it can
  // front ECS slots (services), which have no host and port of their own.
  frontsAddresslessSlots: true,
  load: async () => {
    const { AlbRouter } = await import('./alb-router.js');
    return (config, { backends, capabilities }) => new AlbRouter(config as AlbRouterConfig, backends, capabilities);
  },
};

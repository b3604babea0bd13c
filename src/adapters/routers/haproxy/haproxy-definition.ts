import type { RouterDefinition } from '../../../ports/adapter-definition.js';
import { HAPROXY_ROUTER_TYPE, haproxyTrafficRouterSchema, type HaproxyRouterConfig } from './haproxy-config.js';

/** haproxy's runtime API (`set weight`): switches without a reload. */
export const haproxyRouterDefinition: RouterDefinition<HaproxyRouterConfig> = {
  kind: 'router',
  name: HAPROXY_ROUTER_TYPE,
  type: HAPROXY_ROUTER_TYPE,
  configSchema: haproxyTrafficRouterSchema,
  slotNames: (config) => config.servers,
  capabilities: {
    supportsWeights: true,
    // `set weight` changes the running process's load balancing; no connection is closed.
    reloadFree: true,
    readsLiveWeights: true,
  },
  load: async () => {
    const { HaproxyRouter } = await import('./haproxy-router.js');
    return (config, { backends, capabilities }) => new HaproxyRouter({ backends, capabilities, backend: config.backend, socket: config.socket, timeoutMs: config.timeoutMs });
  },
};

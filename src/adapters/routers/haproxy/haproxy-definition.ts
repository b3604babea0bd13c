import type { RouterDefinition } from '../../../ports/adapter-definition.js';
import { HAPROXY_ROUTER_TYPE, haproxyTrafficRouterSchema, type HaproxyRouterConfig } from './haproxy-config.js';

/** haproxy's runtime API (`set weight`): switches without a reload. */
export const haproxyRouterDefinition: RouterDefinition<HaproxyRouterConfig> = {
  kind: 'router',
  name: HAPROXY_ROUTER_TYPE,
  type: HAPROXY_ROUTER_TYPE,
  configSchema: haproxyTrafficRouterSchema,
  slotNames: (config) => config.servers,
  capabilities: undefined,
  load: async () => {
    const { HaproxyRouter } = await import('./haproxy-router.js');
    return (config, { backends }) => new HaproxyRouter({ backends, backend: config.backend, socket: config.socket, timeoutMs: config.timeoutMs });
  },
};

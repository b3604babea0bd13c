import { DEFAULT_TRAFFIC_ROUTER_CAPABILITIES, type TrafficRouterCapabilities } from '../../ports/traffic-router.js';

/** A router's flags: the defaults with what its definition overrides (the registry hands the same to what it builds). */
export function routerCapabilities(definition: { readonly capabilities: Partial<TrafficRouterCapabilities> }): TrafficRouterCapabilities {
  return Object.freeze({ ...DEFAULT_TRAFFIC_ROUTER_CAPABILITIES, ...definition.capabilities });
}

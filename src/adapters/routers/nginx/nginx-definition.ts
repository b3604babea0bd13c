import type { RouterDefinition } from '../../../ports/adapter-definition.js';
import { NGINX_ROUTER_TYPE, nginxTrafficRouterSchema, type NginxRouterConfig } from './nginx-config.js';

/** A weighted upstream file rewind owns, checked with `nginx -t` and loaded with `nginx -s reload`. */
export const nginxRouterDefinition: RouterDefinition<NginxRouterConfig> = {
  kind: 'router',
  name: NGINX_ROUTER_TYPE,
  type: NGINX_ROUTER_TYPE,
  configSchema: nginxTrafficRouterSchema,
  // Not reloadFree: every switch is `nginx -s reload`, whose old workers close their idle keep-alive
  // client connections (a client that was just sending on one sees a reset). Nor readsLiveWeights:
  // the weights read back are the upstream file rewind wrote.
  capabilities: { supportsWeights: true },
  load: async () => {
    const { NginxRouter } = await import('./nginx-router.js');
    return (config, { backends, capabilities, executor }) =>
      new NginxRouter(
        {
          backends,
          capabilities,
          upstreamFile: config.upstreamFile,
          upstream: config.upstream,
          binary: config.binary,
          configFile: config.configFile,
          prefix: config.prefix,
          errorLog: config.errorLog,
          pidFile: config.pidFile,
          timeoutMs: config.timeoutMs,
        },
        executor,
      );
  },
};

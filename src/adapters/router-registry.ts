import type { EnvironmentConfig } from '../config/config-schema.js';
import { RewindError } from '../errors/rewind-error.js';
import type { Executor } from '../ports/executor.js';
import type { RouterBackends, TrafficRouter } from '../ports/traffic-router.js';
import { registeredAdapter } from './registered-adapter.js';
import { HaproxyRouter } from './routers/haproxy-router.js';
import { NginxRouter } from './routers/nginx-router.js';

type RouterConfig = NonNullable<EnvironmentConfig['traffic']>['router'];

/**
 * The router in front of an environment's two slots. The port's two backends are the two slots:
 * `stable` is blue and `canary` is green, whatever each holds now; core/traffic-slots.ts turns "send
 * p % to slot X" into weights, so which slot is "stable" changes with every deploy, not here.
 */
export function createTrafficRouter(config: EnvironmentConfig, executor: Executor): TrafficRouter {
  const { traffic, target } = config;
  if (!traffic || !target.slots) throw new RewindError('REWIND_E_CONFIG_INVALID', 'this environment has no traffic router (configure traffic: and target.slots)');
  const slots = target.slots;
  const names = traffic.router.type === 'haproxy' ? traffic.router.servers : { blue: 'blue', green: 'green' };
  const backends: RouterBackends = {
    stable: { name: names.blue, host: slots.host, port: slots.blue.port },
    canary: { name: names.green, host: slots.host, port: slots.green.port },
  };
  const FACTORIES: { [T in RouterConfig['type']]: (router: Extract<RouterConfig, { type: T }>) => TrafficRouter } = {
    haproxy: (router) => new HaproxyRouter({ backends, backend: router.backend, socket: router.socket, timeoutMs: router.timeoutMs }),
    nginx: (router) =>
      new NginxRouter(
        {
          backends,
          upstreamFile: router.upstreamFile,
          upstream: router.upstream,
          binary: router.binary,
          configFile: router.configFile,
          prefix: router.prefix,
          errorLog: router.errorLog,
          pidFile: router.pidFile,
          timeoutMs: router.timeoutMs,
        },
        executor,
      ),
  };
  return (registeredAdapter(FACTORIES, traffic.router.type, 'traffic.router.type') as (router: RouterConfig) => TrafficRouter)(traffic.router);
}

import type { MetricSourceDefinition } from '../../../ports/adapter-definition.js';
import { urlSecrets } from '../../../config/parts/secret-policy.js';
import { HTTP_PROBE_TYPE, httpProbeSourceSchema, type HttpProbeSourceConfig } from './http-probe-config.js';

/** Synthetic requests from rewind itself: live only (no history), needs no monitoring stack. */
export const httpProbeSourceDefinition: MetricSourceDefinition<HttpProbeSourceConfig> = {
  kind: 'metric-source',
  name: HTTP_PROBE_TYPE,
  type: HTTP_PROBE_TYPE,
  configSchema: httpProbeSourceSchema,
  secrets: (config) => [...urlSecrets(config.url), ...Object.values(config.headers)],
  capabilities: undefined,
  load: async () => {
    const [{ createHttpProbeSource }, { urlOnHost }] = await Promise.all([import('./http-probe-sampler.js'), import('../../../util/url-on-host.js')]);
    // A scope (a canary's slot) moves the probe to that server.
    return (config, { scope }) => createHttpProbeSource(scope ? { ...config, url: urlOnHost(config.url, scope.host, scope.port) } : config);
  },
};

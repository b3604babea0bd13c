import type { MetricSourceDefinition } from '../../../ports/adapter-definition.js';
import { urlSecrets } from '../../../config/parts/secret-policy.js';
import { PROMETHEUS_TYPE, prometheusSourceSchema, type PrometheusSourceSchemaConfig } from './prometheus-config.js';

/** PromQL against a Prometheus server (has history). */
export const prometheusSourceDefinition: MetricSourceDefinition<PrometheusSourceSchemaConfig> = {
  kind: 'metric-source',
  name: PROMETHEUS_TYPE,
  type: PROMETHEUS_TYPE,
  configSchema: prometheusSourceSchema,
  secrets: (config) => [...urlSecrets(config.url), ...Object.values(config.headers)],
  capabilities: undefined,
  load: async () => {
    const { createPrometheusSource } = await import('./prometheus-source.js');
    // Prometheus is asked about a server through the query ({{instance}}, {{slot}}), never by moving its URL.
    return (config) => createPrometheusSource(config);
  },
};

import { urlOnHost } from '../../util/url-on-host.js';
import { registeredAdapter } from '../registered-adapter.js';
import type { MetricSource } from '../../ports/metric-source.js';
import { createHttpProbeSource, HTTP_PROBE_TYPE, type HttpProbeConfig } from './http-probe-sampler.js';
import { createPrometheusSource, PROMETHEUS_TYPE, type PrometheusSourceConfig } from './prometheus-source.js';

/** A metric source as configuration names it: its `type` plus that adapter's own settings. */
export type MetricSourceConfig = ({ type: typeof PROMETHEUS_TYPE } & PrometheusSourceConfig) | ({ type: typeof HTTP_PROBE_TYPE } & HttpProbeConfig);

/** One server to measure on its own (a canary's slot) instead of what the config names. */
export interface MetricScope {
  host: string;
  port: number;
  /** The slot's name, for sources whose queries tell servers apart by it. */
  slot: string;
}

type Factory<T extends MetricSourceConfig['type']> = (config: Extract<MetricSourceConfig, { type: T }>, scope?: MetricScope) => MetricSource;

/** Metric sources registered by their `type`; nothing else branches on the type string. */
const METRIC_SOURCES: { [T in MetricSourceConfig['type']]: Factory<T> } = {
  // Prometheus is asked about a server through the query ({{instance}}, {{slot}}), never by moving its URL.
  [PROMETHEUS_TYPE]: (config) => createPrometheusSource(config),
  [HTTP_PROBE_TYPE]: (config, scope) => createHttpProbeSource(scope ? { ...config, url: urlOnHost(config.url, scope.host, scope.port) } : config),
};

/** Builds the source a config names. Throws REWIND_E_CONFIG_INVALID for settings the adapter refuses. */
export function createMetricSource(config: MetricSourceConfig, scope?: MetricScope): MetricSource {
  return (registeredAdapter(METRIC_SOURCES, config.type, 'watch.source.type') as Factory<MetricSourceConfig['type']>)(config, scope);
}

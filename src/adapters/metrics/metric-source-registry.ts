import type { MetricSource } from '../../ports/metric-source.js';
import { createHttpProbeSource, HTTP_PROBE_TYPE, type HttpProbeConfig } from './http-probe-sampler.js';
import { createPrometheusSource, PROMETHEUS_TYPE, type PrometheusSourceConfig } from './prometheus-source.js';

/** A metric source as configuration names it: its `type` plus that adapter's own settings. */
export type MetricSourceConfig = ({ type: typeof PROMETHEUS_TYPE } & PrometheusSourceConfig) | ({ type: typeof HTTP_PROBE_TYPE } & HttpProbeConfig);

type Factory<T extends MetricSourceConfig['type']> = (config: Extract<MetricSourceConfig, { type: T }>) => MetricSource;

/** Metric sources registered by their `type`; nothing else branches on the type string. */
const METRIC_SOURCES: { [T in MetricSourceConfig['type']]: Factory<T> } = {
  [PROMETHEUS_TYPE]: createPrometheusSource,
  [HTTP_PROBE_TYPE]: createHttpProbeSource,
};

/** Builds the source a config names. Throws REWIND_E_CONFIG_INVALID for settings the adapter refuses. */
export function createMetricSource(config: MetricSourceConfig): MetricSource {
  return (METRIC_SOURCES[config.type] as Factory<MetricSourceConfig['type']>)(config);
}

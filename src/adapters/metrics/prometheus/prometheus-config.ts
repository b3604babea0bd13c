import * as z from 'zod';

export const PROMETHEUS_TYPE = 'prometheus';

/** Declared once: the schema's default and the source's when it is called without the schema (tests). */
export const PROMETHEUS_DEFAULT_TIMEOUT_MS = 10_000;

export const prometheusSourceSchema = z.strictObject({
  type: z.literal(PROMETHEUS_TYPE).describe('PromQL against a Prometheus server; {{window}} in a query is the interval as a PromQL duration.'),
  url: z.url({ protocol: /^https?$/ }).describe('Base URL of the Prometheus HTTP API; credentials in it are sent as basic auth and redacted.'),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().min(1).default(PROMETHEUS_DEFAULT_TIMEOUT_MS),
  queries: z.record(z.string(), z.string()).describe('Metric name → PromQL: error_rate (a 0–1 ratio) and latency_p95_ms (milliseconds).'),
});

export type PrometheusSourceSchemaConfig = z.infer<typeof prometheusSourceSchema>;

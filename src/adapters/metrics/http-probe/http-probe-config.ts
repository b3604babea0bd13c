import * as z from 'zod';

export const HTTP_PROBE_TYPE = 'http-probe';

/** Declared once: the schema's defaults and bounds, and the sampler's when it is called without the schema (tests). */
export const HTTP_PROBE_DEFAULTS = { requests: 100, concurrency: 2, timeoutMs: 2000 } as const;
export const HTTP_PROBE_LIMITS = { requests: [1, 1000], concurrency: [1, 16], timeoutMs: [1, 60_000] } as const;

// The watch window (seed 000 "Monitor logs for 2–5 minutes"; seed 002's triggers). Metric names are
// the analysis' own (error_rate, latency_p95_ms); `queries` maps them to what the source answers.
export const httpProbeSourceSchema = z.strictObject({
  type: z.literal(HTTP_PROBE_TYPE).describe('Synthetic requests from rewind itself: error rate and latency percentiles.'),
  url: z.url({ protocol: /^https?$/ }).describe('The URL the probe requests (an ordinary page of the app, not /health).'),
  headers: z.record(z.string(), z.string()).default({}).describe('Sent with every probe request; values are treated as secrets.'),
  requests: z.number().int().min(HTTP_PROBE_LIMITS.requests[0]).max(HTTP_PROBE_LIMITS.requests[1]).default(HTTP_PROBE_DEFAULTS.requests).describe('Requests per measurement: enough that a 20 % error rate is evidence within one interval (see docs/benchmarks.md).'),
  concurrency: z.number().int().min(HTTP_PROBE_LIMITS.concurrency[0]).max(HTTP_PROBE_LIMITS.concurrency[1]).default(HTTP_PROBE_DEFAULTS.concurrency),
  timeoutMs: z.number().int().min(HTTP_PROBE_LIMITS.timeoutMs[0]).default(HTTP_PROBE_DEFAULTS.timeoutMs),
  queries: z.record(z.string(), z.string()).default({ error_rate: 'error_rate', latency_p95_ms: 'latency_p95' }),
});

export type HttpProbeSourceConfig = z.infer<typeof httpProbeSourceSchema>;

/**
 * The watch window every deploy gets unless the config says otherwise, from the seeds:
 *   - roll back when the error rate exceeds 5 % (seed 002 "Error rate exceeds 5%");
 *   - roll back when p95 latency is more than 50 % slower than the running release's p95 measured in
 *     preflight (seed 002 "> 50% slower", seed 004 "Performance degradation > 50%");
 *   - watch 3 minutes, one measurement every 10 s (seed 000 "Monitor logs for 2–5 minutes").
 */
import type { AnalysisTemplate, MetricSpec } from './analysis-types.js';

/** Metric names the default template uses; metric sources report under these. */
export const ERROR_RATE_METRIC = 'error_rate';
export const LATENCY_P95_METRIC = 'latency_p95_ms';

export const DEFAULT_WATCH_WINDOW_MS = 3 * 60_000;
export const DEFAULT_ANALYSIS_INTERVAL_MS = 10_000;
/** Seed 000 watches for 2–5 minutes; windows outside this are allowed but worth a second look. */
export const SEED_WATCH_WINDOW_RANGE_MS = { min: 2 * 60_000, max: 5 * 60_000 } as const;

export const DEFAULT_ERROR_RATE_THRESHOLD = 0.05;
export const DEFAULT_LATENCY_FACTOR = 1.5;
/**
 * How sure the error-rate condition must be that the true rate exceeds the threshold. With it, 2
 * errors in 10 requests (20 %) is not yet a failure (P = 0.086 at a 5 % rate), while 20 in 100 is
 * (P = 1e-7). Without it, a healthy service with a 2 % error rate and 40 requests per interval would
 * cross 5 % by chance in most 3-minute windows.
 */
export const DEFAULT_ERROR_RATE_CONFIDENCE = 0.99;

export interface DefaultAnalysisOptions {
  /** Default {@link DEFAULT_WATCH_WINDOW_MS}. */
  watchWindowMs?: number;
  /** Default {@link DEFAULT_ANALYSIS_INTERVAL_MS}. */
  intervalMs?: number;
  /** Error rate (fraction) above which a measurement fails. Default 0.05. */
  errorRateThreshold?: number;
  /** p95 above this multiple of the baseline p95 fails. Default 1.5. */
  latencyFactor?: number;
}

/**
 * The default template: {@link ERROR_RATE_METRIC} and {@link LATENCY_P95_METRIC}, measured
 * ⌈watchWindow / interval⌉ times (18 by default). The latency condition is relative to the baseline
 * under {@link LATENCY_P95_METRIC}, which the run must be started with.
 */
export function defaultAnalysisTemplate(options: DefaultAnalysisOptions = {}): AnalysisTemplate {
  const intervalMs = options.intervalMs ?? DEFAULT_ANALYSIS_INTERVAL_MS;
  const watchWindowMs = options.watchWindowMs ?? DEFAULT_WATCH_WINDOW_MS;
  const errorRate: MetricSpec = {
    name: ERROR_RATE_METRIC,
    failureCondition: { op: '>', value: options.errorRateThreshold ?? DEFAULT_ERROR_RATE_THRESHOLD, confidence: DEFAULT_ERROR_RATE_CONFIDENCE },
    // One interval with clear evidence of more than 5 % errors is enough: the seeds roll back on it.
    failureLimit: 0,
  };
  const latency: MetricSpec = {
    name: LATENCY_P95_METRIC,
    failureCondition: { op: '>', baselineFactor: options.latencyFactor ?? DEFAULT_LATENCY_FACTOR },
    // A p95 over one 10 s interval is the tail of a few hundred requests: one GC pause or cold cache
    // can double it. Two slow intervals are a slow release, and still within the design's "revert
    // within two analysis intervals".
    failureLimit: 1,
  };
  return { intervalMs, count: Math.max(1, Math.ceil(watchWindowMs / intervalMs)), metrics: [errorRate, latency] };
}

import http from 'node:http';
import https from 'node:https';
import { RewindError } from '../../../errors/rewind-error.js';
import type { MetricMeasurement, MetricSource, MetricWindow } from '../../../ports/metric-source.js';
import { nearestRankPercentile } from '../../../util/percentile.js';
import { HTTP_PROBE_DEFAULTS, HTTP_PROBE_LIMITS as LIMITS, HTTP_PROBE_TYPE } from './http-probe-config.js';

/**
 * The built-in synthetic-traffic metric source: sends a small, bounded burst of requests to a URL
 * and reports what it saw. Needs no monitoring stack, so every environment can be verified; it is
 * live (no history), so it measures the service as it is now.
 */
export { HTTP_PROBE_TYPE };

/** The statistics `measure` answers; each is one number from the same kind of burst. */
export const HTTP_PROBE_QUERIES = ['error_rate', 'latency_p50', 'latency_p95', 'latency_p99'] as const;
export type HttpProbeQuery = (typeof HTTP_PROBE_QUERIES)[number];

export interface HttpProbeConfig {
  url: string;
  /** Default GET. HEAD measures without transferring bodies. */
  method?: 'GET' | 'HEAD';
  /** Sent with every request (e.g. a host header or a token for a canary route). Never reported. */
  headers?: Record<string, string>;
  /** Requests per measurement, 1–1000. Default HTTP_PROBE_DEFAULTS.requests (100, as configured). */
  requests?: number;
  /** Requests in flight at once, 1–16. Default 2: a probe must never be the load that breaks a release. */
  concurrency?: number;
  /** Per-request limit covering connect, headers and body, 1 ms–60 s. Default 2000. */
  timeoutMs?: number;
}

export interface HttpProbeSample {
  /** Requests sent (each either answered or failed). */
  total: number;
  /** Answers outside 200–399, plus network errors and timeouts. */
  errors: number;
  /** errors / total; null when no request was sent. */
  errorRate: number | null;
  /** Time from sending to the last body byte of every answered request (any status), in start order, ms. */
  latenciesMs: number[];
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** How many of each outcome: status codes (`"200"`, `"500"`) and error codes (`"ECONNREFUSED"`, `"TIMEOUT"`). */
  outcomes: Record<string, number>;
  durationMs: number;
}

interface ResolvedConfig {
  url: URL;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  requests: number;
  concurrency: number;
  timeoutMs: number;
}

function resolveConfig(config: HttpProbeConfig): ResolvedConfig {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new RewindError('REWIND_E_CONFIG_INVALID', 'http probe: url is not a URL (not shown: it may hold credentials)', { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RewindError('REWIND_E_CONFIG_INVALID', `http probe: url must be http:// or https://, got ${url.protocol}`, { field: 'url' });
  }
  const bounded = (field: keyof typeof LIMITS, value: number | undefined, fallback: number): number => {
    const [min, max] = LIMITS[field];
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
      throw new RewindError('REWIND_E_CONFIG_INVALID', `http probe: ${field} must be an integer from ${min} to ${max}, got ${chosen}`, { field });
    }
    return chosen;
  };
  return {
    url,
    method: config.method ?? 'GET',
    headers: { 'user-agent': 'rewind-http-probe', ...config.headers },
    requests: bounded('requests', config.requests, HTTP_PROBE_DEFAULTS.requests),
    concurrency: bounded('concurrency', config.concurrency, HTTP_PROBE_DEFAULTS.concurrency),
    timeoutMs: bounded('timeoutMs', config.timeoutMs, HTTP_PROBE_DEFAULTS.timeoutMs),
  };
}

type RequestResult = { status: number; ms: number } | { error: string };

/** One request on the shared keep-alive agent; always resolves, a failure is a value. */
function requestOnce(config: ResolvedConfig, agent: http.Agent): Promise<RequestResult> {
  const transport = config.url.protocol === 'https:' ? https : http;
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: RequestResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // URL credentials become the request's basic auth (node's URL-to-options conversion does that).
    const req = transport.request(config.url, { method: config.method, headers: config.headers, agent }, (res) => {
      res.on('error', (error) => settle({ error: errorCode(error) }));
      res.on('aborted', () => settle({ error: 'ECONNRESET' }));
      // Latency is to the last byte: a release that streams its body slowly is slow.
      res.on('end', () => settle({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      res.resume();
    });
    const timer = setTimeout(() => {
      settle({ error: 'TIMEOUT' });
      req.destroy();
    }, config.timeoutMs);
    req.on('error', (error) => settle({ error: errorCode(error) }));
    req.end();
  });
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? 'ERROR';
}

/**
 * Sends `requests` requests, `concurrency` at a time, as fast as they complete, and stops starting
 * new ones at `maxDurationMs`; a request in flight then still finishes within its own timeout, so
 * the whole call takes at most `maxDurationMs + timeoutMs`. Never throws for what the server does:
 * refused connections and timeouts are counted as errors.
 */
export async function sampleHttp(config: HttpProbeConfig, options: { maxDurationMs: number }): Promise<HttpProbeSample> {
  const resolved = resolveConfig(config);
  const started = performance.now();
  const deadline = started + options.maxDurationMs;
  const AgentClass = resolved.url.protocol === 'https:' ? https.Agent : http.Agent;
  // One agent per burst, destroyed after it: sockets are reused within the burst (keep-alive, like a
  // real client) but none outlive it to keep the process or the server busy.
  const agent = new AgentClass({ keepAlive: true, maxSockets: resolved.concurrency });
  const results: (RequestResult | undefined)[] = new Array(resolved.requests);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < resolved.requests && performance.now() < deadline) {
      const index = next++;
      results[index] = await requestOnce(resolved, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: resolved.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const done = results.filter((result): result is RequestResult => result !== undefined);
  const outcomes: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let errors = 0;
  for (const result of done) {
    const key = 'error' in result ? result.error : String(result.status);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if ('error' in result) {
      errors++;
      continue;
    }
    latenciesMs.push(Math.round(result.ms * 1000) / 1000);
    // 3xx is a healthy answer here: the probe does not follow redirects, it judges the service it hit.
    if (result.status < 200 || result.status >= 400) errors++;
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    total: done.length,
    errors,
    errorRate: done.length === 0 ? null : errors / done.length,
    latenciesMs,
    p50: nearestRankPercentile(sorted, 50),
    p95: nearestRankPercentile(sorted, 95),
    p99: nearestRankPercentile(sorted, 99),
    outcomes,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The probe as a MetricSource. `query` is one of HTTP_PROBE_QUERIES; a measure sends a fresh burst
 * bounded by `window.durationMs` (see sampleHttp), except that measures asked for while a burst of
 * the same window is in flight share it: the watch asks for error_rate and latency_p95 together,
 * and they are two statistics of one burst — `requests` per interval, not per metric (a probe must
 * never be the load that breaks a release, and two interleaved bursts would split its evidence). Values: error_rate a 0–1 ratio, latency_*
 * in ms; samples are the latencies in ms, count the requests sent, errors the failed ones.
 * Throws REWIND_E_CONFIG_INVALID for a bad config (at creation) and REWIND_E_METRIC_QUERY_INVALID
 * for an unknown query or an empty window; a broken server is data, not an exception.
 */
export function createHttpProbeSource(config: HttpProbeConfig): MetricSource {
  resolveConfig(config);
  let inflight: { durationMs: number; sample: Promise<HttpProbeSample> } | undefined;
  const burst = (durationMs: number): Promise<HttpProbeSample> => {
    if (inflight?.durationMs === durationMs) return inflight.sample;
    const current = { durationMs, sample: sampleHttp(config, { maxDurationMs: durationMs }) };
    inflight = current;
    const done = () => {
      if (inflight === current) inflight = undefined;
    };
    current.sample.then(done, done);
    return current.sample;
  };
  return {
    type: HTTP_PROBE_TYPE,
    supportsHistory: false,
    async measure(query: string, window: MetricWindow): Promise<MetricMeasurement> {
      if (!(HTTP_PROBE_QUERIES as readonly string[]).includes(query)) {
        throw new RewindError('REWIND_E_METRIC_QUERY_INVALID', `http probe: unknown query ${JSON.stringify(query)}; use one of ${HTTP_PROBE_QUERIES.join(', ')}`, { query });
      }
      if (!(window.durationMs > 0) || !Number.isFinite(window.durationMs)) {
        throw new RewindError('REWIND_E_METRIC_QUERY_INVALID', `http probe: window.durationMs must be a positive number, got ${window.durationMs}`, { query });
      }
      const sample = await burst(window.durationMs);
      const value = { error_rate: sample.errorRate, latency_p50: sample.p50, latency_p95: sample.p95, latency_p99: sample.p99 }[query as HttpProbeQuery];
      return { value, samples: sample.latenciesMs, count: sample.total, errors: sample.errors };
    },
  };
}

import { RewindError } from '../../../errors/rewind-error.js';
import type { MetricMeasurement, MetricSource, MetricWindow } from '../../../ports/metric-source.js';
import { redactor } from '../../../util/redact.js';
import { PROMETHEUS_DEFAULT_TIMEOUT_MS, PROMETHEUS_TYPE } from './prometheus-config.js';
import { parsePrometheusData } from './prometheus-response.js';

export { PROMETHEUS_TYPE };

export interface PrometheusSourceConfig {
  /**
   * Base URL of the Prometheus HTTP API, path prefix included when it is served under one:
   * `http://127.0.0.1:9090`, `https://user:pass@metrics.example.com/prometheus`. Credentials in it
   * are sent as basic auth and never appear in a message.
   */
  url: string;
  /** Sent with every query (e.g. `authorization: Bearer …`, a tenant header). Never reported. */
  headers?: Record<string, string>;
  /** Per-query limit in ms, also passed to Prometheus as its evaluation `timeout`. Default 10 000. */
  timeoutMs?: number;
}

/** Prometheus refuses range queries of more than 11 000 points per series; say so before asking. */
const MAX_RANGE_POINTS = 11_000;

/** The URL with its password replaced, safe for messages: `https://user:***@host/prefix`. */
export function redactUrl(url: URL | string): string {
  const copy = new URL(String(url));
  if (copy.password) copy.password = '***';
  copy.search = '';
  return copy.toString();
}

/** A window length as a PromQL duration (`90s`, `1500ms`), what `{{window}}` in a query becomes. */
export function promDuration(ms: number): string {
  const whole = Math.round(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/**
 * Prometheus as a MetricSource. `measure(query, window)`:
 * - without `window.stepMs`: an instant query (`/api/v1/query`) evaluated at the window's end;
 * - with it: a range query (`/api/v1/query_range`) from end − durationMs to end every stepMs;
 *   `samples` are the points in time order (NaN points dropped) and `value` is the newest one.
 * `{{window}}` in the query is replaced by the window's length as a PromQL duration, so one query
 * serves any window: `sum(rate(http_requests_total{status=~"5.."}[{{window}}]))`.
 * The query must yield one series (or a scalar); none gives `value: null`.
 * Rejects with REWIND_E_METRIC_UNAVAILABLE (refused, timeout, HTTP error other than a rejected
 * query, not Prometheus JSON) or REWIND_E_METRIC_QUERY_INVALID (Prometheus refused the query,
 * or it returns several series or no number), each naming the URL with credentials redacted.
 */
export function createPrometheusSource(config: PrometheusSourceConfig): MetricSource {
  let base: URL;
  try {
    base = new URL(config.url);
  } catch {
    throw new RewindError('REWIND_E_CONFIG_INVALID', 'prometheus: url is not a URL (not shown: it may hold credentials)', { field: 'url' });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new RewindError('REWIND_E_CONFIG_INVALID', `prometheus: url must be http:// or https://, got ${base.protocol}`, { field: 'url' });
  }
  const timeoutMs = config.timeoutMs ?? PROMETHEUS_DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 300_000) {
    throw new RewindError('REWIND_E_CONFIG_INVALID', `prometheus: timeoutMs must be an integer from 1 to 300000, got ${timeoutMs}`, { field: 'timeoutMs' });
  }
  redactor.addUrlPassword(config.url);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  // Messages keep the user name (which account failed) but never the password.
  const shownBase = redactUrl(base).replace(/\/$/, '');
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
  // fetch refuses URLs with credentials, so they move into the Authorization header.
  if (base.username || base.password) {
    const credentials = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    base.username = '';
    base.password = '';
  }
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;

  async function post(path: 'api/v1/query' | 'api/v1/query_range', form: Record<string, string>, query: string): Promise<MetricMeasurement> {
    const endpoint = new URL(path, base);
    const shown = `${shownBase}/${path}`;
    const unavailable = (reason: string, extra: Record<string, unknown> = {}) =>
      new RewindError('REWIND_E_METRIC_UNAVAILABLE', `prometheus at ${shown}: ${reason}`, { url: shown, query, ...extra });
    let response: Response;
    let text: string;
    try {
      // POST with a form body: the same API as GET, without URL length limits for long PromQL.
      response = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (name === 'TimeoutError') throw unavailable(`no answer within ${timeoutMs} ms`);
      // fetch's own message is just "fetch failed"; the cause says why (ECONNREFUSED, "unexpected redirect").
      throw unavailable(redactor.redact(cause?.code ?? cause?.message ?? (error as Error).message));
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const apiError = isRecord(body) && body.status === 'error' ? `${String(body.errorType)}: ${String(body.error)}` : undefined;
    // 400 (bad_data: syntax, bad parameters) and 422 (execution: many-to-many matching…) are the
    // query's fault; everything else (401, 404, 503 timeout, proxies) is the source's.
    if ((response.status === 400 || response.status === 422) && apiError) {
      throw new RewindError('REWIND_E_METRIC_QUERY_INVALID', `prometheus at ${shown} refused the query ${JSON.stringify(query)}: ${apiError}`, { url: shown, query });
    }
    if (!response.ok) throw unavailable(`HTTP ${response.status}${apiError ? `: ${apiError}` : text ? `: ${snippet(text)}` : ''}`, { httpStatus: response.status });
    if (!isRecord(body) || body.status !== 'success') throw unavailable(`HTTP ${response.status} but the body is not a Prometheus API answer: ${snippet(text)}`);
    const parsed = parsePrometheusData(body.data);
    if (parsed.ok) return parsed.measurement;
    if (parsed.problem === 'malformed') throw unavailable(`unexpected answer: ${parsed.reason}`);
    throw new RewindError('REWIND_E_METRIC_QUERY_INVALID', `prometheus at ${shown}: query ${JSON.stringify(query)}: ${parsed.reason}`, { url: shown, query });
  }

  return {
    type: PROMETHEUS_TYPE,
    supportsHistory: true,
    measure(query: string, window: MetricWindow): Promise<MetricMeasurement> {
      const invalid = (reason: string) => Promise.reject(new RewindError('REWIND_E_METRIC_QUERY_INVALID', `prometheus: ${reason}`, { query }));
      if (!(window.durationMs > 0) || !Number.isFinite(window.durationMs)) return invalid(`window.durationMs must be a positive number, got ${window.durationMs}`);
      const expanded = query.replaceAll('{{window}}', promDuration(window.durationMs));
      if (expanded.trim() === '') return invalid('the query is empty');
      const end = (window.endMs ?? Date.now()) / 1000;
      const timeout = promDuration(timeoutMs);
      if (window.stepMs === undefined) return post('api/v1/query', { query: expanded, time: String(end), timeout }, expanded);
      if (!(window.stepMs > 0) || !Number.isFinite(window.stepMs)) return invalid(`window.stepMs must be a positive number, got ${window.stepMs}`);
      if (window.durationMs / window.stepMs > MAX_RANGE_POINTS) return invalid(`a ${window.durationMs} ms window every ${window.stepMs} ms is more than ${MAX_RANGE_POINTS} points; use a larger stepMs`);
      const start = end - window.durationMs / 1000;
      return post('api/v1/query_range', { query: expanded, start: String(start), end: String(end), step: String(window.stepMs / 1000), timeout }, expanded);
    },
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The start of a body for a message: enough to recognise a proxy's error page, never the whole page. */
function snippet(text: string): string {
  const flat = redactor.redact(text.replace(/\s+/g, ' ').trim());
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

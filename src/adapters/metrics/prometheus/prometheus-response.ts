import type { MetricMeasurement } from '../../../ports/metric-source.js';

/*
 * Reads the `data` of a successful Prometheus HTTP API answer (/api/v1/query, /api/v1/query_range)
 * into numbers. Shapes, from the Prometheus docs:
 *   vector  result: [{ metric: {...}, value: [<unix s>, "<number>"] }, ...]   (or `histogram` for native histograms)
 *   matrix  result: [{ metric: {...}, values: [[<unix s>, "<number>"], ...] }, ...]  (or `histograms`)
 *   scalar  result: [<unix s>, "<number>"]
 *   string  result: [<unix s>, "<text>"]
 * Sample values are strings because JSON has no NaN or Inf: "NaN", "+Inf", "-Inf", "1e+06".
 */

export type PrometheusParseResult =
  | { ok: true; measurement: MetricMeasurement }
  /**
   * `query`: a well-formed answer that is not one number per point in time (several series,
   * a string, native histograms) — the query must change. `malformed`: not the Prometheus API
   * shape at all (a proxy's page, another API) — the URL must change.
   */
  | { ok: false; problem: 'query' | 'malformed'; reason: string };

type Sample = [number, string];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isSample(value: unknown): value is Sample {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'string';
}

/** A sample value as a number; NaN (what 0/0 over no traffic yields) is `null`, i.e. no data. */
export function parseSampleValue(text: string): number | null {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  return Number.isNaN(value) || text.trim() === '' ? null : value;
}

function describeSeries(series: readonly unknown[]): string {
  const shown = series.slice(0, 3).map((item) => {
    const metric = isRecord(item) && isRecord(item.metric) ? item.metric : {};
    const labels = Object.entries(metric).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    return `{${labels.join(',')}}`;
  });
  return `${shown.join(' ')}${series.length > 3 ? ` and ${series.length - 3} more` : ''}`;
}

const malformed = (reason: string): PrometheusParseResult => ({ ok: false, problem: 'malformed', reason });
const wrongQuery = (reason: string): PrometheusParseResult => ({ ok: false, problem: 'query', reason });

/**
 * `data` of a `{"status":"success","data":…}` answer → one measurement. One series (or a scalar)
 * gives its number; no series gives `value: null`; several series are refused rather than guessed
 * at, because a rollback decision must not depend on which series came first. No `count`: a
 * Prometheus point says nothing about how many requests stand behind it.
 */
export function parsePrometheusData(data: unknown): PrometheusParseResult {
  if (!isRecord(data) || typeof data.resultType !== 'string') return malformed('no data.resultType');
  const { resultType, result } = data;
  switch (resultType) {
    case 'scalar': {
      if (!isSample(result)) return malformed('scalar result is not [time, "value"]');
      const value = parseSampleValue(result[1]);
      return { ok: true, measurement: { value } };
    }
    case 'string':
      return wrongQuery('the query returns a string, not a number');
    case 'vector': {
      if (!Array.isArray(result)) return malformed('vector result is not a list');
      if (result.length === 0) return { ok: true, measurement: { value: null } };
      if (result.length > 1) return wrongQuery(`the query returns ${result.length} series (${describeSeries(result)}); aggregate them to one with sum(), max() or avg()`);
      const [series] = result as unknown[];
      if (isRecord(series) && 'histogram' in series) return wrongQuery('the query returns a native histogram; ask for a number (histogram_quantile, histogram_count)');
      if (!isRecord(series) || !isSample(series.value)) return malformed('vector element has no [time, "value"]');
      const value = parseSampleValue(series.value[1]);
      return { ok: true, measurement: { value } };
    }
    case 'matrix': {
      if (!Array.isArray(result)) return malformed('matrix result is not a list');
      if (result.length === 0) return { ok: true, measurement: { value: null, samples: [] } };
      if (result.length > 1) return wrongQuery(`the query returns ${result.length} series (${describeSeries(result)}); aggregate them to one with sum(), max() or avg()`);
      const [series] = result as unknown[];
      if (isRecord(series) && 'histograms' in series && !('values' in series)) return wrongQuery('the query returns native histograms; ask for a number (histogram_quantile, histogram_count)');
      if (!isRecord(series) || !Array.isArray(series.values) || !series.values.every(isSample)) return malformed('matrix series has no [[time, "value"], …]');
      // Prometheus sends points in time order; NaN points are gaps (no traffic then), not zeros.
      const samples = (series.values as Sample[]).map(([, text]) => parseSampleValue(text)).filter((value): value is number => value !== null);
      return { ok: true, measurement: { value: samples.length > 0 ? samples[samples.length - 1]! : null, samples } };
    }
    default:
      return malformed(`unknown resultType ${JSON.stringify(resultType)}`);
  }
}

/**
 * A source of numbers for release verification: Prometheus, a synthetic HTTP probe, later others.
 * A source only measures; it never judges. The analysis (core/analysis) is the one place that
 * applies thresholds and turns measurements into outcomes, so a source returns plain numbers and no
 * SDK type ever crosses this port.
 *
 * Failure contract: `measure` either resolves with a measurement or rejects with a RewindError:
 * - `REWIND_E_METRIC_UNAVAILABLE` — the source could not be asked (connection refused, timeout,
 *   HTTP 5xx, a body that is not the source's JSON). The message names the URL, credentials redacted.
 * - `REWIND_E_METRIC_QUERY_INVALID` — the source was asked and refused the query, or answered with
 *   something that is not one number per point in time (several series, strings, native histograms).
 * Both mean "we do not know": the analysis records outcome `error`, never `failed`. "No data" is not
 * a failure either: it resolves with `value: null`.
 */

/** The stretch of time a measurement covers. */
export interface MetricWindow {
  /** Length of the window in milliseconds, ending at `endMs`. Must be > 0. */
  durationMs: number;
  /**
   * End of the window, epoch milliseconds; default now. Only sources with `supportsHistory` can
   * honour a past end; live sources (the HTTP probe) always measure from now on.
   */
  endMs?: number;
  /**
   * Resolution for sources with history: one point every `stepMs` across the window (a Prometheus
   * range query). Absent: one value at the end of the window (an instant query).
   */
  stepMs?: number;
}

/** Numbers only. Units are the query's own (Prometheus: whatever the PromQL yields; the probe: ms or a 0–1 ratio). */
export interface MetricMeasurement {
  /**
   * The number the query asks for. `null` means no data: no series matched, the result was NaN
   * (0/0 with no traffic), or no request completed. `±Infinity` is kept (histogram_quantile in the
   * +Inf bucket means "slower than the largest bucket", which is an answer).
   */
  value: number | null;
  /** The observations behind `value`, oldest first: a range query's points, or the probe's latencies in ms. */
  samples?: number[];
  /**
   * How many events `value` was computed from — requests, for an error rate — so the analysis can
   * weigh the evidence (too little traffic is inconclusive). Absent when the source cannot know it:
   * Prometheus does not (a point is not a request; ask PromQL for a count if one is needed).
   */
  count?: number;
  /** Of `count`, how many were errors (the probe: non-2xx/3xx answers and network errors). */
  errors?: number;
}

export interface MetricSource {
  /** The adapter's type constant (`prometheus`, `http-probe`), the key it is registered under. */
  readonly type: string;
  /**
   * True when the source keeps history, so `measure` looks back over the window at no cost and
   * honours `endMs` and `stepMs`. False for live sources, which spend (up to) the window producing
   * their observations.
   */
  readonly supportsHistory: boolean;
  /**
   * Measures `query` (source-specific: PromQL, or the probe's statistic name) over `window`.
   * Read-only and safe to repeat. Rejects only with the coded errors described above.
   */
  measure(query: string, window: MetricWindow): Promise<MetricMeasurement>;
  /** Releases connections, if the source holds any. Idempotent. */
  close?(): Promise<void>;
}

/** One server to measure on its own (a canary's slot) instead of what the config names. */
export interface MetricScope {
  host: string;
  port: number;
  /** The slot's name, for sources whose queries tell servers apart by it. */
  slot: string;
}

/**
 * rewind's percentiles, both methods in one place. They differ on purpose and give different numbers
 * for the same samples (p25 of 1, 2, 3, 4 is 1.75 by `percentile`, 1 by `nearestRankPercentile`;
 * p99 of 1…100 is 99.01 and 99), so each caller keeps the one its results were defined with:
 * - `percentile` (p in [0, 1]): interpolated, what the analysis compares canary and baseline with
 *   and what statisticians expect to re-compute (NumPy, R, Excel give the same);
 * - `nearestRankPercentile` (p in 0..100): always a latency that was observed, what the HTTP probe
 *   reports as its p50/p95/p99 metrics (conservative for a rollback: p99 of few samples is the maximum).
 */

/**
 * The `p`-quantile (`p` in [0, 1]) of `values` by linear interpolation between closest ranks:
 * Hyndman & Fan type 7, the default of R's `quantile`, NumPy's `percentile` and Excel's
 * PERCENTILE.INC. With n values sorted ascending, h = (n − 1)·p and the result is
 * x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Returns null for no values; throws RangeError for a `p`
 * outside [0, 1] or a non-finite value (a NaN latency is a source bug, not a fast request).
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile: p must be within [0, 1], got ${p}`);
  if (values.length === 0) return null;
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`percentile: values must be finite numbers, got ${v}`);
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}

/**
 * Percentile by the nearest-rank method: the smallest observation such that at least p % of all
 * observations are less than or equal to it, i.e. `sorted[ceil(p / 100 × n) − 1]` (p = 0 gives the
 * minimum). No interpolation, so the answer is always a latency that was actually observed, and
 * with fewer than 100 samples p99 is simply the maximum — the conservative reading for a rollback.
 *
 * `sortedAscending` must already be sorted; returns null for no samples.
 */
export function nearestRankPercentile(sortedAscending: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return null;
  // p × n first: for integer p that product is exact, so ceil() never sees 19.000000000000004.
  const rank = Math.max(1, Math.ceil((p * n) / 100));
  return sortedAscending[rank - 1]!;
}

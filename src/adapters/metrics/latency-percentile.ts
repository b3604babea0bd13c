/**
 * Percentile by the nearest-rank method: the smallest observation such that at least p % of all
 * observations are less than or equal to it, i.e. `sorted[ceil(p / 100 × n) − 1]` (p = 0 gives the
 * minimum). No interpolation, so the answer is always a latency that was actually observed, and
 * with fewer than 100 samples p99 is simply the maximum — the conservative reading for a rollback.
 *
 * `sortedAscending` must already be sorted; returns null for no samples.
 */
export function latencyPercentile(sortedAscending: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return null;
  // p × n first: for integer p that product is exact, so ceil() never sees 19.000000000000004.
  const rank = Math.max(1, Math.ceil((p * n) / 100));
  return sortedAscending[rank - 1]!;
}

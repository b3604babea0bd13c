/**
 * Canary versus baseline: is the new release worse than the old one serving next to it? Two
 * comparisons, each sound for its data:
 *   - latency samples: Mann-Whitney U (distribution-free; latencies are skewed and heavy-tailed);
 *   - error counts: Fisher's exact test on the 2×2 table of errors and successes, switching to the
 *     two-proportion z-test only when every expected cell is large.
 * Kayenta judges error series with Mann-Whitney, and an all-zero or nearly-all-zero series then reads
 * as a difference; here counts are pooled per group and tested exactly, so sparse data gives "no
 * evidence", never a false failure. "Worse" needs both statistical evidence and a difference large
 * enough to act on (the seeds' thresholds), so a huge sample cannot fail a release for a 1 ms change.
 */
import type { OutcomeStatus } from '../../ports/outcome.js';
import { formatNumber } from './number-format.js';
import { fisherExact, mannWhitneyU, minExpectedCell, percentile, twoProportionZTest, type Proportion } from './statistics.js';

/** `worse` rolls back; `no-evidence` lets it proceed; `insufficient-data` means a human looks. */
export type ComparisonVerdict = 'worse' | 'no-evidence' | 'insufficient-data';

export interface ComparisonResult {
  verdict: ComparisonVerdict;
  /** The same verdict as a check outcome: worse → failed, no-evidence → succeeded, insufficient-data → inconclusive. */
  outcome: OutcomeStatus;
  test: 'mann-whitney-exact' | 'mann-whitney-normal' | 'fisher-exact' | 'two-proportion-z' | 'none';
  /** Null when no test ran (too little data). */
  pValue: number | null;
  reasons: string[];
}

export interface LatencyComparison extends ComparisonResult {
  canary: { count: number; p50: number | null; p95: number | null };
  baseline: { count: number; p50: number | null; p95: number | null };
}

export interface LatencyComparisonOptions {
  /** Two-sided significance level of the Mann-Whitney test. Default 0.05. */
  alpha?: number;
  /** The canary is worse only when its p95 also exceeds this multiple of the baseline p95. Default 1.5 (seed 002). */
  maxP95Ratio?: number;
  /** Fewer samples than this in either group is insufficient data. Default 10. */
  minSamples?: number;
  /**
   * The baseline p95 is taken as at least this many ms for the ratio (the watch's latencyFloorMs):
   * 12 ms → 20 ms is "1.6 × slower" and significant, yet nobody notices it. Default 0 (off).
   */
  p95FloorMs?: number;
}

/**
 * Compares latency samples (ms). `worse` when Mann-Whitney's two-sided p < alpha with the canary on
 * the slow side AND canary p95 > maxP95Ratio × baseline p95. Non-finite samples are dropped (and
 * said so). Identical samples — all zeros included — give p = 1.
 */
export function compareLatency(canarySamples: readonly number[], baselineSamples: readonly number[], options: LatencyComparisonOptions = {}): LatencyComparison {
  const alpha = options.alpha ?? 0.05;
  const maxRatio = options.maxP95Ratio ?? 1.5;
  const minSamples = options.minSamples ?? 10;
  const canary = canarySamples.filter(Number.isFinite);
  const baseline = baselineSamples.filter(Number.isFinite);
  const reasons: string[] = [];
  const dropped = canarySamples.length - canary.length + baselineSamples.length - baseline.length;
  if (dropped > 0) reasons.push(`${dropped} non-finite samples were dropped`);
  const describe = (xs: number[]) => ({ count: xs.length, p50: percentile(xs, 0.5), p95: percentile(xs, 0.95) });
  const groups = { canary: describe(canary), baseline: describe(baseline) };

  if (canary.length < minSamples || baseline.length < minSamples) {
    reasons.push(`too few latency samples to compare (canary ${canary.length}, baseline ${baseline.length}; need ${minSamples} each)`);
    return { verdict: 'insufficient-data', outcome: 'inconclusive', test: 'none', pValue: null, reasons, ...groups };
  }
  const mw = mannWhitneyU(canary, baseline, { alternative: 'two-sided' });
  const test = mw.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal';
  const slower = mw.u > (mw.n1 * mw.n2) / 2;
  const p95c = groups.canary.p95!;
  const p95b = Math.max(groups.baseline.p95!, options.p95FloorMs ?? 0);
  // A zero baseline p95 makes any slower canary "infinitely" slower; the ratio then only needs the canary above 0.
  const ratio = p95b > 0 ? p95c / p95b : p95c > 0 ? Number.POSITIVE_INFINITY : 1;
  const stats = `Mann-Whitney U ${formatNumber(mw.u)} of ${mw.n1 * mw.n2}, p = ${formatNumber(mw.pValue)}; p95 ${formatNumber(p95c)} vs ${formatNumber(groups.baseline.p95!)} ms (× ${formatNumber(ratio)}${p95b > groups.baseline.p95! ? ` of the ${formatNumber(p95b)} ms floor` : ''})`;
  if (mw.pValue < alpha && slower && ratio > maxRatio) {
    reasons.push(`canary is slower: ${stats}, above × ${formatNumber(maxRatio)}`);
    return { verdict: 'worse', outcome: 'failed', test, pValue: mw.pValue, reasons, ...groups };
  }
  if (mw.pValue >= alpha) reasons.push(`no significant latency difference: ${stats}`);
  else if (!slower) reasons.push(`canary is not slower: ${stats}`);
  else reasons.push(`canary is slower but within tolerance: ${stats}, not above × ${formatNumber(maxRatio)}`);
  return { verdict: 'no-evidence', outcome: 'succeeded', test, pValue: mw.pValue, reasons, ...groups };
}

export interface ErrorRateComparisonOptions {
  /** One-sided significance level for "the canary has the higher error rate". Default 0.05. */
  alpha?: number;
  /** The canary is worse only when its rate also exceeds the baseline's by this much (absolute). Default 0.01. */
  minRateIncrease?: number;
  /** Fewer requests than this in either group is insufficient data. Default 20. */
  minRequests?: number;
  /** The z-test replaces Fisher's exact test when every expected cell count is at least this. Default 10. */
  zTestMinExpected?: number;
}

/**
 * Compares error counts: `worse` when the one-sided test (canary worse) gives p < alpha AND the
 * canary's rate exceeds the baseline's by at least `minRateIncrease` (one point by default: seed 002
 * expects a healthy error rate under 1 %). Zero requests on either side, or fewer than `minRequests`,
 * is insufficient data; zero errors on both sides is p = 1, no evidence.
 */
export function compareErrorRates(canary: Proportion, baseline: Proportion, options: ErrorRateComparisonOptions = {}): ComparisonResult {
  const alpha = options.alpha ?? 0.05;
  const minIncrease = options.minRateIncrease ?? 0.01;
  const minRequests = options.minRequests ?? 20;
  const zMin = options.zTestMinExpected ?? 10;
  if (canary.trials < minRequests || baseline.trials < minRequests) {
    return {
      verdict: 'insufficient-data',
      outcome: 'inconclusive',
      test: 'none',
      pValue: null,
      reasons: [`too few requests to compare error rates (canary ${canary.trials}, baseline ${baseline.trials}; need ${minRequests} each)`],
    };
  }
  const useZ = minExpectedCell(canary, baseline) >= zMin;
  const pValue = useZ ? twoProportionZTest(canary, baseline, 'greater').pValue : fisherExact(canary, baseline, 'greater').pValue;
  const test = useZ ? 'two-proportion-z' : 'fisher-exact';
  const rc = canary.events / canary.trials;
  const rb = baseline.events / baseline.trials;
  const stats = `${canary.events}/${canary.trials} (${formatNumber(rc * 100)} %) vs ${baseline.events}/${baseline.trials} (${formatNumber(rb * 100)} %), ${test} p = ${formatNumber(pValue)}`;
  if (pValue < alpha && rc - rb >= minIncrease) {
    return { verdict: 'worse', outcome: 'failed', test, pValue, reasons: [`canary has more errors: ${stats}`] };
  }
  const why = pValue >= alpha ? 'no evidence the canary has more errors' : `more errors, but less than ${formatNumber(minIncrease * 100)} points more`;
  return { verdict: 'no-evidence', outcome: 'succeeded', test, pValue, reasons: [`${why}: ${stats}`] };
}

/**
 * The statistics analysis needs, written out so every number in a verdict can be traced: percentiles,
 * the normal and binomial tails, Mann-Whitney U, Fisher's exact test and the two-proportion z-test.
 * Pure functions of their arguments; no dependency, no I/O. Reference values in the tests come from
 * textbook examples and were cross-checked against scipy.stats 1.17.
 */

/** `two-sided`: the groups differ; `greater`: the first group tends to be larger; `less`: smaller. */
export type Alternative = 'two-sided' | 'greater' | 'less';

// ---------------------------------------------------------------------------------------------
// Percentiles

// Interpolated (Hyndman & Fan type 7). Declared in util/ next to the nearest-rank percentile the HTTP
// probe reports, which gives different numbers for the same samples (see there).
export { percentile } from '../../util/percentile.js';

// ---------------------------------------------------------------------------------------------
// Distributions

/**
 * Complementary error function, Chebyshev fit from Numerical Recipes (`erfcc`): fractional error
 * below 1.2e-7 everywhere, ample for p-values compared against an alpha of 0.01–0.05.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** P(Z ≥ z) for a standard normal Z, computed directly so small tails keep their precision. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

// Exact sums up to here; Stirling's series beyond, whose next term is below 1/(1680 n^7).
const LOG_FACTORIAL_TABLE_SIZE = 1024;
const logFactorialTable: number[] = (() => {
  const table = [0];
  for (let i = 1; i < LOG_FACTORIAL_TABLE_SIZE; i++) table.push(table[i - 1]! + Math.log(i));
  return table;
})();

/** ln(n!) for a non-negative integer n. */
export function logFactorial(n: number): number {
  if (n < LOG_FACTORIAL_TABLE_SIZE) return logFactorialTable[n]!;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/** ln C(n, k); −Infinity when k is outside [0, n]. */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * Binomial tail for X ~ Binomial(n, p): `upper` gives P(X ≥ k), `lower` gives P(X ≤ k). Exact sum
 * of the probabilities in log space (no normal approximation), so it stays right for the sparse
 * counts of a quiet service: 1 error in 3 requests is P(X ≥ 1 | 3, 0.05) = 0.1426, no evidence of a
 * 5 % error rate. Costs at most the number of terms until they stop mattering.
 */
export function binomialTail(k: number, n: number, p: number, tail: 'upper' | 'lower'): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0) throw new RangeError(`binomialTail: k and n must be integers, n ≥ 0 (got k=${k}, n=${n})`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialTail: p must be within [0, 1], got ${p}`);
  // P(X ≤ k | n, p) = P(n − X ≥ n − k) and n − X ~ Binomial(n, 1 − p): one summation serves both.
  if (tail === 'lower') return binomialTail(n - k, n, 1 - p, 'upper');
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const mode = Math.floor((n + 1) * p);
  // Sum the side away from the mode, where terms only shrink, and complement if that is the lower side.
  if (k > mode) return sumDecreasing(k, n, 1, (i) => logBinomialPmf(i, n, p));
  return Math.max(0, 1 - sumDecreasing(k - 1, 0, -1, (i) => logBinomialPmf(i, n, p)));
}

function logBinomialPmf(i: number, n: number, p: number): number {
  return logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p);
}

/** Sums exp(logTerm(i)) from `from` towards `to` (inclusive), stopping once terms are negligible. */
function sumDecreasing(from: number, to: number, step: 1 | -1, logTerm: (i: number) => number): number {
  let sum = 0;
  for (let i = from; step > 0 ? i <= to : i >= to; i += step) {
    const term = Math.exp(logTerm(i));
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

// ---------------------------------------------------------------------------------------------
// Mann-Whitney U

export interface MannWhitneyOptions {
  alternative?: Alternative;
  /**
   * `exact`: the permutation distribution of the rank sum, enumerated (ties included, by midranks);
   * `normal`: the normal approximation with tie correction and continuity correction;
   * `auto` (default): exact when the two samples together hold at most {@link MANN_WHITNEY_EXACT_MAX_N}
   * values, normal beyond.
   */
  method?: 'auto' | 'exact' | 'normal';
}

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, plus half the pairs with x = y. In [0, n1·n2]. */
  u: number;
  n1: number;
  n2: number;
  pValue: number;
  method: 'exact' | 'normal';
  /** The continuity-corrected z for `normal`; null for `exact`. */
  z: number | null;
  /** Whether any value occurs in both or either sample more than once. */
  ties: boolean;
}

/** Up to this many values in all, `auto` enumerates the exact distribution (about 1.4 M additions at 40). */
export const MANN_WHITNEY_EXACT_MAX_N = 40;

/**
 * Mann-Whitney U (Wilcoxon rank-sum) test of `x` against `y`. Distribution-free, so it suits
 * latencies (skewed, heavy-tailed). When every value is tied — an all-zero series — the rank sum
 * cannot move and the p-value is exactly 1: no evidence either way, never NaN. Throws RangeError
 * for an empty sample or a non-finite value.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  assertFinite(x, 'mannWhitneyU');
  assertFinite(y, 'mannWhitneyU');
  const n = n1 + n2;
  const { ranks, tieGroups } = midranks([...x, ...y]);
  let rankSumX = 0;
  for (let i = 0; i < n1; i++) rankSumX += ranks[i]!;
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const ties = tieGroups.some((t) => t > 1);
  const method = options.method === 'auto' || options.method === undefined ? (n <= MANN_WHITNEY_EXACT_MAX_N ? 'exact' : 'normal') : options.method;

  if (method === 'exact') {
    return { u, n1, n2, pValue: exactRankSumPValue(ranks, n1, rankSumX, alternative), method, z: null, ties };
  }
  const mean = (n1 * n2) / 2;
  const tieTerm = tieGroups.reduce((acc, t) => acc + (t * t * t - t), 0);
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  if (!(variance > 0)) return { u, n1, n2, pValue: 1, method, z: 0, ties };
  const sd = Math.sqrt(variance);
  // The continuity correction moves U half a step towards the mean: U takes steps of 1/2 or 1.
  let z: number;
  let pValue: number;
  if (alternative === 'greater') {
    z = (u - mean - 0.5) / sd;
    pValue = normalSf(z);
  } else if (alternative === 'less') {
    z = (u - mean + 0.5) / sd;
    pValue = normalCdf(z);
  } else {
    z = (Math.abs(u - mean) - 0.5) / sd;
    pValue = 2 * normalSf(z);
  }
  return { u, n1, n2, pValue: Math.min(1, pValue), method, z, ties };
}

/** Midranks (1-based; tied values share the mean of their ranks) and the sizes of the tie groups. */
function midranks(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  const tieGroups: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = rank;
    tieGroups.push(end - start + 1);
    start = end + 1;
  }
  return { ranks, tieGroups };
}

/**
 * Exact permutation p-value of the first sample's rank sum: every way of choosing n1 of the n
 * (mid)ranks is equally likely under the null. Doubled midranks are integers, so the distribution
 * is counted by a subset-sum table. Two-sided means |S − E[S]| at least as far as observed, which
 * is twice the smaller tail when there are no ties (the distribution is then symmetric).
 */
function exactRankSumPValue(ranks: readonly number[], n1: number, rankSumX: number, alternative: Alternative): number {
  const weights = ranks.map((r) => Math.round(2 * r));
  const maxSum = weights.reduce((a, b) => a + b, 0);
  // ways[j][s]: how many j-subsets of the ranks seen so far have doubled sum s.
  const ways: Float64Array[] = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  weights.forEach((w, i) => {
    for (let j = Math.min(i + 1, n1); j >= 1; j--) {
      const row = ways[j]!;
      const prev = ways[j - 1]!;
      for (let s = maxSum; s >= w; s--) row[s]! += prev[s - w]!;
    }
  });
  const dist = ways[n1]!;
  const observed = Math.round(2 * rankSumX);
  const mean = n1 * (ranks.length + 1); // doubled E[S] = n1·(n + 1), an integer
  let total = 0;
  let tail = 0;
  for (let s = 0; s <= maxSum; s++) {
    const count = dist[s]!;
    if (count === 0) continue;
    total += count;
    const inTail = alternative === 'greater' ? s >= observed : alternative === 'less' ? s <= observed : Math.abs(s - mean) >= Math.abs(observed - mean);
    if (inTail) tail += count;
  }
  return Math.min(1, tail / total);
}

// ---------------------------------------------------------------------------------------------
// 2×2 tables: Fisher's exact test and the two-proportion z-test

/** Events (errors) out of trials (requests) in one group. */
export interface Proportion {
  events: number;
  trials: number;
}

export interface FisherResult {
  pValue: number;
  /** The table's support: how many tables with these margins exist (the sum's length). */
  tables: number;
}

/**
 * Fisher's exact test on the 2×2 table [[a.events, a.trials − a.events], [b.events, b.trials − b.events]].
 * Conditional on the margins the first cell is hypergeometric; `greater` asks whether group `a`
 * has the larger proportion (P(X ≥ a.events)), `less` the smaller, `two-sided` sums every table no
 * more likely than the observed one (with R's relative tolerance of 1e-7 for floating ties). Exact for
 * any count, so sparse and all-zero tables are judged soundly: 0 of 500 against 0 of 500 is p = 1.
 * Cost is linear in the smaller margin. Throws RangeError for counts that are not a table.
 */
export function fisherExact(a: Proportion, b: Proportion, alternative: Alternative = 'two-sided'): FisherResult {
  assertProportion(a, 'fisherExact');
  assertProportion(b, 'fisherExact');
  const row1 = a.trials;
  const row2 = b.trials;
  const col1 = a.events + b.events;
  const n = row1 + row2;
  const lo = Math.max(0, col1 - row2);
  const hi = Math.min(row1, col1);
  const logDenominator = logChoose(n, col1);
  const logP = (x: number) => logChoose(row1, x) + logChoose(row2, col1 - x) - logDenominator;
  const observed = a.events;
  let pValue = 0;
  if (alternative === 'greater') {
    for (let x = observed; x <= hi; x++) pValue += Math.exp(logP(x));
  } else if (alternative === 'less') {
    for (let x = lo; x <= observed; x++) pValue += Math.exp(logP(x));
  } else {
    const cutoff = logP(observed) + Math.log1p(1e-7);
    for (let x = lo; x <= hi; x++) {
      const l = logP(x);
      if (l <= cutoff) pValue += Math.exp(l);
    }
  }
  return { pValue: Math.min(1, pValue), tables: hi - lo + 1 };
}

export interface ZTestResult {
  z: number;
  pValue: number;
}

/**
 * Two-proportion z-test with the pooled standard error. Only sound when every expected cell of the
 * 2×2 table is large (see {@link minExpectedCell}); with a pooled proportion of 0 or 1 there is
 * nothing to compare and the p-value is 1.
 */
export function twoProportionZTest(a: Proportion, b: Proportion, alternative: Alternative = 'two-sided'): ZTestResult {
  assertProportion(a, 'twoProportionZTest');
  assertProportion(b, 'twoProportionZTest');
  if (a.trials === 0 || b.trials === 0) return { z: 0, pValue: 1 };
  const pooled = (a.events + b.events) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (!(se > 0)) return { z: 0, pValue: 1 };
  const z = (a.events / a.trials - b.events / b.trials) / se;
  const pValue = alternative === 'greater' ? normalSf(z) : alternative === 'less' ? normalCdf(z) : 2 * normalSf(Math.abs(z));
  return { z, pValue: Math.min(1, pValue) };
}

/** The smallest expected cell count of the 2×2 table under independence (row total × column total / n). */
export function minExpectedCell(a: Proportion, b: Proportion): number {
  const n = a.trials + b.trials;
  if (n === 0) return 0;
  const events = a.events + b.events;
  const nonEvents = n - events;
  return Math.min(a.trials, b.trials) * Math.min(events, nonEvents) / n;
}

// ---------------------------------------------------------------------------------------------

function assertFinite(values: readonly number[], where: string): void {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${where}: values must be finite numbers, got ${v}`);
}

function assertProportion(p: Proportion, where: string): void {
  if (!Number.isInteger(p.events) || !Number.isInteger(p.trials) || p.events < 0 || p.events > p.trials) {
    throw new RangeError(`${where}: events and trials must be integers with 0 ≤ events ≤ trials (got ${p.events} of ${p.trials})`);
  }
}

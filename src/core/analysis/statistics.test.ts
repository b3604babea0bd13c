import { describe, expect, it } from 'vitest';
import { binomialTail, fisherExact, logFactorial, mannWhitneyU, minExpectedCell, normalCdf, normalSf, twoProportionZTest } from './statistics.js';

describe('normal and binomial tails', () => {
  it('matches the standard normal table', () => {
    expect(normalSf(1.96)).toBeCloseTo(0.0249979, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalSf(4) / 3.167124e-5).toBeCloseTo(1, 5);
    expect(normalCdf(-1.96) + normalSf(-1.96)).toBeCloseTo(1, 7);
  });

  it('computes ln n! exactly in the table and by Stirling beyond it', () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(5)).toBeCloseTo(Math.log(120), 12);
    // ln(2000!) = lgamma(2001) = 13206.524350513806 (Python's math.lgamma); the methods agree at the seam
    expect(logFactorial(2000)).toBeCloseTo(13206.524350513806, 8);
    expect(logFactorial(1024) - logFactorial(1023)).toBeCloseTo(Math.log(1024), 9);
  });

  it.each([
    // by hand: 1 − 0.95³ = 0.142625
    [1, 3, 0.05, 'upper', 0.142625],
    // scipy.stats.binom.sf(19, 100, 0.05)
    [20, 100, 0.05, 'upper', 1.0522953420147289e-7],
    // scipy.stats.binom.cdf(1, 40, 0.05)
    [1, 40, 0.05, 'lower', 0.39906406512321496],
    [0, 10, 0.3, 'upper', 1],
    [11, 10, 0.3, 'upper', 0],
    [10, 10, 0.3, 'lower', 1],
  ] as const)('k=%d n=%d p=%d %s tail is %d', (k, n, p, tail, expected) => {
    const got = binomialTail(k, n, p, tail);
    if (expected === 0) expect(got).toBe(0);
    else expect(got / expected).toBeCloseTo(1, 9);
  });

  it('stays fast and exact for a busy interval (1 M requests)', () => {
    // scipy.stats.binom.sf(10499, 1e6, 0.01) = 3.1585658792471077e-07; sf(9999, …) = 0.5013498725636688
    expect(binomialTail(10_500, 1_000_000, 0.01, 'upper') / 3.1585658792471077e-7).toBeCloseTo(1, 6);
    expect(binomialTail(10_000, 1_000_000, 0.01, 'upper')).toBeCloseTo(0.5013498725636688, 9);
  });
});

describe('Mann-Whitney U', () => {
  it('is exact for small samples without ties (by hand: 1 of C(6,3) = 20 orderings gives U = 0)', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(r).toMatchObject({ u: 0, method: 'exact', ties: false });
    expect(r.pValue).toBeCloseTo(0.1, 12);
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6], { alternative: 'less' }).pValue).toBeCloseTo(0.05, 12);
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6], { alternative: 'greater' }).pValue).toBeCloseTo(1, 12);
  });

  it('reproduces the scipy.stats.mannwhitneyu documentation example (ages at type II diabetes diagnosis)', () => {
    // males vs females; U1 = 17 (count the pairs by hand: 3 + 4 + 2 + 4 + 4). scipy reports
    // p = 0.1111 exact (two-sided), 0.0556 one-sided, and 0.11134688653314041 asymptotic.
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const exact = mannWhitneyU(males, females);
    expect(exact.u).toBe(17);
    expect(exact.pValue).toBeCloseTo(0.1111111111, 9);
    expect(mannWhitneyU(males, females, { alternative: 'greater' }).pValue).toBeCloseTo(0.0555555556, 9);
    const normal = mannWhitneyU(males, females, { method: 'normal' });
    expect(normal.method).toBe('normal');
    expect(normal.pValue).toBeCloseTo(0.11134688653314041, 6);
  });

  it('handles ties: midranks, tie-corrected variance, continuity correction (scipy asymptotic) and exact permutation', () => {
    const x = [1, 2, 2, 3, 3, 3, 4, 5];
    const y = [3, 4, 4, 5, 5, 6, 7, 7, 8];
    // scipy.stats.mannwhitneyu(x, y, method='asymptotic'): U = 7.5, p = 0.006373133838085873 (two-sided), 0.0031865669 (less)
    const normal = mannWhitneyU(x, y, { method: 'normal' });
    expect(normal).toMatchObject({ u: 7.5, ties: true });
    expect(normal.pValue).toBeCloseTo(0.006373133838085873, 6);
    expect(mannWhitneyU(x, y, { method: 'normal', alternative: 'less' }).pValue).toBeCloseTo(0.0031865669190429364, 6);
    expect(mannWhitneyU(x, y, { method: 'normal', alternative: 'greater' }).pValue).toBeCloseTo(0.9976386658073535, 6);
    // exact permutation distribution of the rank sum, checked against scipy.stats.permutation_test
    // with n_resamples=inf: 0.002591526120937886 (less), 0.005306458247634718 (|S − E S|, two-sided)
    expect(mannWhitneyU(x, y, { method: 'exact', alternative: 'less' }).pValue).toBeCloseTo(0.002591526120937886, 12);
    expect(mannWhitneyU(x, y, { method: 'exact' }).pValue).toBeCloseTo(0.005306458247634718, 12);
  });

  it('gives p = 1, never NaN, when every value is tied (the all-zero series)', () => {
    const zeros = Array.from({ length: 30 }, () => 0);
    for (const method of ['exact', 'normal'] as const) {
      const r = mannWhitneyU(zeros, zeros.slice(0, 25), { method });
      expect(r.pValue).toBe(1);
      expect(r.u).toBe((30 * 25) / 2);
    }
  });

  it('uses the normal approximation past 40 values and agrees with exact near the switch', () => {
    const a = Array.from({ length: 20 }, (_, i) => i * 1.1);
    const b = Array.from({ length: 20 }, (_, i) => i * 1.1 + 3.05);
    const exact = mannWhitneyU(a, b);
    const normal = mannWhitneyU(a, b, { method: 'normal' });
    expect(exact.method).toBe('exact');
    expect(Math.abs(exact.pValue - normal.pValue)).toBeLessThan(0.005);
    expect(mannWhitneyU([...a, 100], b).method).toBe('normal');
  });

  it('refuses empty samples and non-finite values', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
    expect(() => mannWhitneyU([1, Number.POSITIVE_INFINITY], [1])).toThrow(RangeError);
  });
});

describe("Fisher's exact test", () => {
  it("reproduces Fisher's lady tasting tea: [[3, 1], [1, 3]] two-sided p = 34/70 = 0.486, one-sided 17/70", () => {
    const milkFirst = { events: 3, trials: 4 };
    const teaFirst = { events: 1, trials: 4 };
    expect(fisherExact(milkFirst, teaFirst).pValue).toBeCloseTo(34 / 70, 12);
    expect(fisherExact(milkFirst, teaFirst, 'greater').pValue).toBeCloseTo(17 / 70, 12);
    expect(fisherExact(milkFirst, teaFirst, 'less').pValue).toBeCloseTo(69 / 70, 12);
  });

  it.each([
    // scipy.stats.fisher_exact documentation table [[6, 2], [1, 4]]: p = 0.10256410256410256
    [{ events: 6, trials: 8 }, { events: 1, trials: 5 }, 'two-sided', 0.10256410256410256],
    // scipy: fisher_exact([[30, 470], [2, 498]]) → 1.6643507329358085e-07, 'greater' 8.321753664679042e-08
    [{ events: 30, trials: 500 }, { events: 2, trials: 500 }, 'two-sided', 1.6643507329358085e-7],
    [{ events: 30, trials: 500 }, { events: 2, trials: 500 }, 'greater', 8.321753664679042e-8],
    // one error against none: scipy 'greater' 0.5, two-sided 1.0
    [{ events: 1, trials: 500 }, { events: 0, trials: 500 }, 'greater', 0.5],
    [{ events: 1, trials: 500 }, { events: 0, trials: 500 }, 'two-sided', 1],
  ] as const)('%j vs %j (%s) → %d', (a, b, alternative, expected) => {
    expect(fisherExact(a, b, alternative).pValue / expected).toBeCloseTo(1, 8);
  });

  it('is p = 1 for all-zero and all-error tables and for empty groups', () => {
    expect(fisherExact({ events: 0, trials: 1000 }, { events: 0, trials: 1000 }, 'greater')).toEqual({ pValue: 1, tables: 1 });
    expect(fisherExact({ events: 5, trials: 5 }, { events: 7, trials: 7 }).pValue).toBe(1);
    expect(fisherExact({ events: 0, trials: 0 }, { events: 3, trials: 9 }).pValue).toBe(1);
  });

  it('refuses counts that are not a table', () => {
    expect(() => fisherExact({ events: 3, trials: 2 }, { events: 0, trials: 1 })).toThrow(RangeError);
    expect(() => fisherExact({ events: 0.5, trials: 2 }, { events: 0, trials: 1 })).toThrow(RangeError);
  });
});

describe('two-proportion z-test', () => {
  it('matches a hand computation and agrees with Fisher on large counts', () => {
    // 600/10000 vs 500/10000: pooled 0.055, se = sqrt(0.055·0.945·2/10000) = 0.0032241, z = 0.01/se = 3.1017
    const a = { events: 600, trials: 10_000 };
    const b = { events: 500, trials: 10_000 };
    const z = twoProportionZTest(a, b, 'greater');
    expect(z.z).toBeCloseTo(3.1017, 3);
    expect(z.pValue).toBeCloseTo(normalSf(3.1017), 5);
    // scipy.stats.fisher_exact([[600, 9400], [500, 9500]], alternative='greater') = 0.0010618877646731333
    expect(fisherExact(a, b, 'greater').pValue / 0.0010618877646731333).toBeCloseTo(1, 8);
    expect(Math.abs(Math.log10(z.pValue) - Math.log10(0.0010618877646731333))).toBeLessThan(0.1);
    expect(minExpectedCell(a, b)).toBeCloseTo(550, 9);
  });

  it('has nothing to compare when the pooled rate is 0 or a group is empty', () => {
    expect(twoProportionZTest({ events: 0, trials: 100 }, { events: 0, trials: 100 })).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest({ events: 0, trials: 0 }, { events: 1, trials: 100 })).toEqual({ z: 0, pValue: 1 });
  });
});

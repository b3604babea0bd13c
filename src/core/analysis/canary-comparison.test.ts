import { describe, expect, it } from 'vitest';
import { compareErrorRates, compareLatency } from './canary-comparison.js';
import { createSeededRandom } from './seeded-random.js';
import { mannWhitneyU } from './statistics.js';

const lognormal = (seed: number, n: number, median: number, sigma = 0.35) => {
  const rnd = createSeededRandom(seed);
  return Array.from({ length: n }, () => rnd.lognormal(Math.log(median), sigma));
};

describe('sparse and all-zero error data gives "no evidence", never a false failure (Kayenta)', () => {
  it('judges all-zero error counts as no evidence with p = 1', () => {
    const r = compareErrorRates({ events: 0, trials: 500 }, { events: 0, trials: 500 });
    expect(r).toMatchObject({ verdict: 'no-evidence', outcome: 'succeeded', test: 'fisher-exact', pValue: 1 });
  });

  it.each([
    [1, 500, 0, 500],
    [2, 300, 0, 300],
    [1, 20, 0, 20],
    [3, 1000, 1, 1000],
  ])('%d/%d errors on the canary against %d/%d on the baseline is no evidence', (ce, cn, be, bn) => {
    const r = compareErrorRates({ events: ce, trials: cn }, { events: be, trials: bn });
    expect(r.verdict).toBe('no-evidence');
    expect(r.test).toBe('fisher-exact');
    expect(r.pValue).toBeGreaterThan(0.05);
  });

  it('shows why per-interval error series must not be judged by Mann-Whitney: all zeros are pure ties', () => {
    // The failure mode: canary and baseline error rates as series of per-interval rates, nearly all 0.
    // All values tied leaves nothing to rank: p must be exactly 1, never NaN or small.
    const zeros = Array.from({ length: 18 }, () => 0);
    expect(mannWhitneyU(zeros, zeros).pValue).toBe(1);
    expect(mannWhitneyU(zeros, zeros, { method: 'normal' }).pValue).toBe(1);
    // One lone error interval: whichever group it lands in, the rank sum moves as far, so the exact
    // permutation p is 1. The normal approximation, fed 35 tied values, already says 0.34 — still no
    // evidence, but it shows how ties erode it; that is why counts are pooled and given to Fisher.
    const lone = [...zeros.slice(1), 0.01];
    expect(mannWhitneyU(lone, zeros).pValue).toBeCloseTo(1, 12);
    expect(mannWhitneyU(lone, zeros, { method: 'normal' }).pValue).toBeCloseTo(0.3449, 3);
  });

  it('is insufficient data, not a verdict, when a group has (almost) no requests', () => {
    expect(compareErrorRates({ events: 0, trials: 0 }, { events: 0, trials: 900 })).toMatchObject({ verdict: 'insufficient-data', outcome: 'inconclusive', pValue: null });
    expect(compareErrorRates({ events: 3, trials: 5 }, { events: 0, trials: 900 }).verdict).toBe('insufficient-data');
  });
});

describe('compareErrorRates', () => {
  it('finds a canary with clearly more errors worse, with Fisher on moderate counts', () => {
    const r = compareErrorRates({ events: 12, trials: 300 }, { events: 0, trials: 300 });
    expect(r).toMatchObject({ verdict: 'worse', outcome: 'failed', test: 'fisher-exact' });
    // scipy.stats.fisher_exact([[12, 288], [0, 300]], alternative='greater') = 0.00021823835005266965
    expect(r.pValue! / 0.00021823835005266965).toBeCloseTo(1, 8);
    expect(r.reasons[0]).toBe('canary has more errors: 12/300 (4 %) vs 0/300 (0 %), fisher-exact p = 2.2e-4');
  });

  it('switches to the z-test only when every expected cell is large', () => {
    const r = compareErrorRates({ events: 900, trials: 20_000 }, { events: 400, trials: 20_000 });
    expect(r).toMatchObject({ verdict: 'worse', test: 'two-proportion-z' });
    expect(compareErrorRates({ events: 9, trials: 20_000 }, { events: 4, trials: 20_000 }).test).toBe('fisher-exact');
  });

  it('does not fail a canary for a significant but tiny increase', () => {
    // 0.6 % vs 0.5 % over a million requests each: real, but under one point
    const r = compareErrorRates({ events: 6000, trials: 1_000_000 }, { events: 5000, trials: 1_000_000 });
    expect(r.pValue!).toBeLessThan(1e-6);
    expect(r).toMatchObject({ verdict: 'no-evidence', reasons: [expect.stringContaining('less than 1 points more')] });
  });

  it('never calls a canary with fewer errors worse', () => {
    expect(compareErrorRates({ events: 0, trials: 500 }, { events: 40, trials: 500 }).verdict).toBe('no-evidence');
  });
});

describe('compareLatency', () => {
  it('finds a canary twice as slow worse', () => {
    const r = compareLatency(lognormal(1, 300, 160), lognormal(2, 300, 80));
    expect(r).toMatchObject({ verdict: 'worse', outcome: 'failed', test: 'mann-whitney-normal' });
    expect(r.canary.p95! / r.baseline.p95!).toBeGreaterThan(1.5);
    expect(r.reasons[0]).toMatch(/^canary is slower: Mann-Whitney U \d+ of 90000, p = .+; p95 .+ vs .+ ms/);
  });

  it('passes a canary from the same distribution over 200 seeded pairs (at most a chance 5 % significant, none worse)', () => {
    let significant = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = compareLatency(lognormal(seed * 2, 200, 80), lognormal(seed * 2 + 1, 200, 80));
      expect(r.verdict).toBe('no-evidence');
      if (r.pValue! < 0.05) significant++;
    }
    expect(significant).toBeLessThan(20);
  });

  it('tolerates a canary that is measurably but only slightly slower', () => {
    const r = compareLatency(lognormal(3, 2000, 88), lognormal(4, 2000, 80));
    expect(r.pValue!).toBeLessThan(0.05);
    expect(r).toMatchObject({ verdict: 'no-evidence', reasons: [expect.stringContaining('within tolerance')] });
  });

  it('does not call a faster canary worse', () => {
    expect(compareLatency(lognormal(5, 300, 40), lognormal(6, 300, 80))).toMatchObject({ verdict: 'no-evidence', reasons: [expect.stringContaining('not slower')] });
  });

  it('gives no evidence for identical samples, all zeros included, and insufficient data for few samples', () => {
    const zeros = Array.from({ length: 50 }, () => 0);
    expect(compareLatency(zeros, zeros)).toMatchObject({ verdict: 'no-evidence', pValue: 1 });
    expect(compareLatency([5, 6, 7], lognormal(7, 100, 80))).toMatchObject({ verdict: 'insufficient-data', outcome: 'inconclusive', pValue: null });
  });

  it('uses the exact test for small samples and drops non-finite samples, saying so', () => {
    const canary = [...lognormal(8, 15, 200), Number.NaN];
    const r = compareLatency(canary, lognormal(9, 15, 80));
    expect(r).toMatchObject({ verdict: 'worse', test: 'mann-whitney-exact', canary: { count: 15 } });
    expect(r.reasons[0]).toBe('1 non-finite samples were dropped');
  });
});

describe('compareLatency with a p95 floor (the watch latencyFloorMs)', () => {
  it('does not call a significant 12 ms → 20 ms change worse when the floor is 50 ms, but does without it', () => {
    const baseline = Array.from({ length: 60 }, (_, i) => 8 + (i % 5));
    const canary = Array.from({ length: 60 }, (_, i) => 14 + (i % 7));
    expect(compareLatency(canary, baseline).verdict).toBe('worse');
    const floored = compareLatency(canary, baseline, { p95FloorMs: 50 });
    expect(floored.verdict).toBe('no-evidence');
    expect(floored.reasons.join(' ')).toContain('of the 50 ms floor');
    // Slow beyond 1.5 × the floor is worse again.
    expect(compareLatency(canary.map((x) => x + 80), baseline, { p95FloorMs: 50 }).verdict).toBe('worse');
  });
});

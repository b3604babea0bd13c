import { describe, expect, it } from 'vitest';
import { runAnalysis, type AnalysisDecision } from './analysis-run.js';
import type { AnalysisTemplate, Measurement } from './analysis-types.js';
import { defaultAnalysisTemplate, ERROR_RATE_METRIC, LATENCY_P95_METRIC, SEED_WATCH_WINDOW_RANGE_MS } from './default-analysis.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';
import { percentile } from './statistics.js';

describe('the default analysis template (seeds 000, 002, 004)', () => {
  it('watches 3 minutes every 10 s: error rate > 5 % and p95 > 1.5 × baseline fail', () => {
    expect(defaultAnalysisTemplate()).toEqual({
      intervalMs: 10_000,
      count: 18,
      metrics: [
        { name: 'error_rate', failureCondition: { op: '>', value: 0.05, confidence: 0.99 }, failureLimit: 0 },
        { name: 'latency_p95_ms', failureCondition: { op: '>', baselineFactor: 1.5 }, failureLimit: 1 },
      ],
    });
  });

  it.each([
    [SEED_WATCH_WINDOW_RANGE_MS.min, 10_000, 12],
    [SEED_WATCH_WINDOW_RANGE_MS.max, 10_000, 30],
    [125_000, 10_000, 13],
    [180_000, 60_000, 3],
  ])('a %d ms window at %d ms intervals takes %d measurements', (watchWindowMs, intervalMs, count) => {
    expect(defaultAnalysisTemplate({ watchWindowMs, intervalMs }).count).toBe(count);
  });
});

/**
 * A simulated service: per-request latencies lognormal around a median of 80 ms (σ = 0.35, so p95 ≈
 * 1.8 × median), each interval's median drifting by a few percent, 150–400 requests per interval,
 * each failing with probability `errorRate`. The baseline p95 comes from a preflight sample of the
 * same distribution, as the deploy measures it on the running release.
 */
function simulate(rnd: SeededRandom, options: { slowdown?: number; errorRate?: number; requests?: [number, number] } = {}) {
  const mu = Math.log(80);
  const sigma = 0.35;
  const preflight = Array.from({ length: 600 }, () => rnd.lognormal(mu, sigma));
  const baselines = { [LATENCY_P95_METRIC]: percentile(preflight, 0.95)! };
  const [minReq, maxReq] = options.requests ?? [150, 400];
  // Lazy: the fold stops at its decision, so a failing run does not simulate the rest of its window.
  function* measurements(): Generator<Measurement> {
    for (let i = 1; ; i++) {
      const at = 1_700_000_000_000 + i * 10_000;
      const requests = minReq + Math.floor(rnd.next() * (maxReq - minReq + 1));
      const drift = 0.04 * rnd.normal();
      const latencies = Array.from({ length: requests }, () => rnd.lognormal(mu + drift + Math.log(options.slowdown ?? 1), sigma));
      const errors = rnd.binomial(requests, options.errorRate ?? 0.01);
      yield { metric: ERROR_RATE_METRIC, at, value: errors / requests, count: requests, errors };
      yield { metric: LATENCY_P95_METRIC, at, value: percentile(latencies, 0.95) };
    }
  }
  return { baselines, measurements: measurements() };
}

function tally(runs: number, template: AnalysisTemplate, options: Parameters<typeof simulate>[1]) {
  const decisions: Record<AnalysisDecision, number> = { continue: 0, succeeded: 0, failed: 0, paused: 0 };
  const failedAtInterval: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const { baselines, measurements } = simulate(createSeededRandom(seed), options);
    const { verdict, consumed } = runAnalysis(template, measurements, baselines);
    decisions[verdict.decision]++;
    if (verdict.decision === 'failed') failedAtInterval.push(Math.ceil(consumed / 2));
  }
  return { decisions, failedAtInterval };
}

describe('the defaults on simulated traffic (200 seeded runs each)', () => {
  it('never fails a healthy release with noisy latency and a 1 % error rate', () => {
    const { decisions } = tally(200, defaultAnalysisTemplate(), {});
    expect(decisions).toEqual({ continue: 0, succeeded: 200, failed: 0, paused: 0 });
  });

  it('fails every release that is twice as slow at its second interval (failureLimit 1), and 70 % slower within three', () => {
    const doubled = tally(200, defaultAnalysisTemplate(), { slowdown: 2 });
    expect(doubled.decisions.failed).toBe(200);
    expect(histogram(doubled.failedAtInterval)).toEqual({ 2: 200 });
    // at × 1.7 an interval's p95 sometimes dips under × 1.5 by chance (seeded: 192 at 2, 8 at 3)
    const slower = tally(200, defaultAnalysisTemplate(), { slowdown: 1.7 });
    expect(slower.decisions.failed).toBe(200);
    expect(Math.max(...slower.failedAtInterval)).toBe(3);
    expect(slower.failedAtInterval.filter((i) => i === 2).length).toBeGreaterThan(180);
  });

  it('fails every release with a 12 % error rate within two intervals, nearly always at the first', () => {
    const { decisions, failedAtInterval } = tally(200, defaultAnalysisTemplate(), { errorRate: 0.12 });
    expect(decisions.failed).toBe(200);
    expect(Math.max(...failedAtInterval)).toBe(2);
    expect(failedAtInterval.filter((i) => i === 1).length).toBeGreaterThan(180);
  });

  it('never fails a quiet healthy service (40 requests per interval, 2 % errors), where a bare 5 % threshold fails most runs', () => {
    const quiet = { errorRate: 0.02, requests: [40, 40] as [number, number] };
    expect(tally(200, defaultAnalysisTemplate(), quiet).decisions.failed).toBe(0);
    // the same template without the binomial evidence: chance alone crosses 5 % (3 errors in 40) in
    // about 1 − (1 − 0.046)^18 ≈ 57 % of the windows
    const bare = defaultAnalysisTemplate();
    const naive: AnalysisTemplate = { ...bare, metrics: bare.metrics.map((m) => (m.name === ERROR_RATE_METRIC ? { ...m, failureCondition: { op: '>', value: 0.05 } } : m)) };
    expect(tally(200, naive, quiet).decisions.failed).toBeGreaterThan(80);
  });
});

const histogram = (xs: number[]) => xs.reduce<Record<number, number>>((h, x) => ({ ...h, [x]: (h[x] ?? 0) + 1 }), {});

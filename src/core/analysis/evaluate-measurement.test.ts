import { describe, expect, it } from 'vitest';
import type { ComparisonOp, Condition, Measurement, MetricSpec } from './analysis-types.js';
import { evaluateMeasurement } from './evaluate-measurement.js';

const at = 1_700_000_000_000;
const m = (value: number | null, extra: Partial<Measurement> = {}): Measurement => ({ metric: 'x', at, value, ...extra });
const spec = (over: Partial<MetricSpec> = {}): MetricSpec => ({ name: 'x', ...over });

describe('evaluateMeasurement: each comparison below, at and above its threshold', () => {
  // threshold 10; failure-only conditions, so "holds" is failed and "does not hold" is succeeded
  const rows: [ComparisonOp, number, 'failed' | 'succeeded'][] = [
    ['>', 9, 'succeeded'],
    ['>', 10, 'succeeded'],
    ['>', 11, 'failed'],
    ['>=', 9, 'succeeded'],
    ['>=', 10, 'failed'],
    ['>=', 11, 'failed'],
    ['<', 9, 'failed'],
    ['<', 10, 'succeeded'],
    ['<', 11, 'succeeded'],
    ['<=', 9, 'failed'],
    ['<=', 10, 'failed'],
    ['<=', 11, 'succeeded'],
  ];
  it.each(rows)('value %s 10 with value %d → %s', (op, value, expected) => {
    expect(evaluateMeasurement(spec({ failureCondition: { op, value: 10 } }), m(value)).outcome).toBe(expected);
  });

  it.each([
    // baseline 100 × 1.5 = 150
    [149.9, 'succeeded'],
    [150, 'succeeded'],
    [150.1, 'failed'],
  ] as const)('baseline-relative: %d against 1.5 × baseline 100 → %s', (value, expected) => {
    const judged = evaluateMeasurement(spec({ failureCondition: { op: '>', baselineFactor: 1.5 } }), m(value), { x: 100 });
    expect(judged.outcome).toBe(expected);
    expect(judged.reason).toContain('1.5 × baseline 100 = 150');
  });
});

describe("evaluateMeasurement: how the two conditions combine (Argo's evaluate.go)", () => {
  const high: Condition = { op: '>', value: 10 }; // holds for 20, not for 5
  const low: Condition = { op: '<', value: 10 }; // holds for 5, not for 20
  const rows: [string, Partial<MetricSpec>, number, string][] = [
    ['no condition', {}, 5, 'succeeded'],
    ['success only, holds', { successCondition: low }, 5, 'succeeded'],
    ['success only, does not hold → failed', { successCondition: low }, 20, 'failed'],
    ['failure only, holds', { failureCondition: high }, 20, 'failed'],
    ['failure only, does not hold → succeeded', { failureCondition: high }, 5, 'succeeded'],
    ['both, failure holds', { successCondition: { op: '<', value: 100 }, failureCondition: high }, 20, 'failed'],
    ['both hold: failure wins', { successCondition: { op: '>', value: 0 }, failureCondition: high }, 20, 'failed'],
    ['both, success holds', { successCondition: low, failureCondition: high }, 5, 'succeeded'],
    ['both, neither holds → inconclusive', { successCondition: low, failureCondition: high }, 10, 'inconclusive'],
  ];
  it.each(rows)('%s', (_name, over, value, expected) => {
    expect(evaluateMeasurement(spec(over), m(value)).outcome).toBe(expected);
  });
});

describe('evaluateMeasurement: missing data is an error, never a failure', () => {
  const failing = spec({ failureCondition: { op: '>', value: 0 } });
  it.each([
    ['null value', m(null), 'returned no data'],
    ['NaN', m(Number.NaN), 'not a number'],
    ['Infinity', m(Number.POSITIVE_INFINITY), 'not a number'],
    ['source failure, even with a value', m(99, { sourceError: 'HTTP 503 from prometheus' }), 'HTTP 503'],
    ['no events', m(1, { count: 0, errors: 0 }), 'no events'],
  ])('%s', (_name, measurement, reason) => {
    const judged = evaluateMeasurement(failing, measurement);
    expect(judged.outcome).toBe('error');
    expect(judged.reason).toContain(reason);
  });

  it.each([
    ['missing', {}, 'no baseline'],
    ['zero', { x: 0 }, 'must be a positive'],
    ['negative', { x: -3 }, 'must be a positive'],
    ['NaN', { x: Number.NaN }, 'must be a positive'],
  ])('a baseline-relative condition with a %s baseline', (_name, baselines, reason) => {
    const judged = evaluateMeasurement(spec({ failureCondition: { op: '>', baselineFactor: 1.5 } }), m(1e9), baselines);
    expect(judged).toMatchObject({ outcome: 'error', reason: expect.stringContaining(reason) });
  });
});

describe('evaluateMeasurement: evidence', () => {
  it.each([
    [9, 'inconclusive'],
    [10, 'failed'],
    [11, 'failed'],
  ] as const)('minCount 10 with %d events → %s', (count, expected) => {
    const judged = evaluateMeasurement(spec({ failureCondition: { op: '>', value: 0.05 }, minCount: 10 }), m(0.5, { count, errors: Math.round(count / 2) }));
    expect(judged.outcome).toBe(expected);
  });

  it('ignores minCount when the source reports no count', () => {
    expect(evaluateMeasurement(spec({ failureCondition: { op: '>', value: 0.05 }, minCount: 10 }), m(0.5)).outcome).toBe('failed');
  });

  const rate = spec({ name: 'error_rate', failureCondition: { op: '>', value: 0.05, confidence: 0.99 } });
  it.each([
    // P(X ≥ 1 | 3, 5 %) = 0.14: one unlucky request is no evidence of a 5 % error rate
    [1, 3, 'succeeded', 'not with 99 % confidence'],
    // P(X ≥ 2 | 10, 5 %) = 0.086
    [2, 10, 'succeeded', 'not with 99 % confidence'],
    // P(X ≥ 20 | 100, 5 %) = 1.1e-7
    [20, 100, 'failed', '20 of 100, P = 1.1e-7'],
    // P(X ≥ 12 | 100, 5 %) = 0.0043 < 1 %
    [12, 100, 'failed', '12 of 100'],
    // P(X ≥ 10 | 100, 5 %) = 0.028 > 1 %
    [10, 100, 'succeeded', 'not with 99 % confidence'],
    [4, 100, 'succeeded', 'not > 0.05'],
  ] as const)('a rate condition with confidence: %d errors of %d → %s', (errors, count, expected, reason) => {
    const judged = evaluateMeasurement(rate, m(errors / count, { metric: 'error_rate', count, errors }));
    expect(judged.outcome).toBe(expected);
    expect(judged.reason).toContain(reason);
  });

  it('judges a rate by its value alone when the source reports no counts', () => {
    expect(evaluateMeasurement(rate, m(0.33, { metric: 'error_rate' })).outcome).toBe('failed');
  });

  it('applies confidence to a success condition with the lower tail', () => {
    const ok = spec({ successCondition: { op: '<', value: 0.05, confidence: 0.95 } });
    // 0 of 100: P(X ≤ 0 | 100, 5 %) = 0.0059 → shown to be under 5 %
    expect(evaluateMeasurement(ok, m(0, { count: 100, errors: 0 })).outcome).toBe('succeeded');
    // 0 of 10: P = 0.60 → not shown; success-only, so the measurement fails
    expect(evaluateMeasurement(ok, m(0, { count: 10, errors: 0 })).outcome).toBe('failed');
  });
});

import { describe, expect, it } from 'vitest';
import { nearestRankPercentile, percentile } from './percentile.js';

describe('nearestRankPercentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns an observed value: ceil(p × n / 100)-th smallest', () => {
    expect(nearestRankPercentile(hundred, 50)).toBe(50);
    expect(nearestRankPercentile(hundred, 95)).toBe(95);
    expect(nearestRankPercentile(hundred, 99)).toBe(99);
    expect(nearestRankPercentile(hundred, 100)).toBe(100);
    expect(nearestRankPercentile(hundred, 0)).toBe(1);
    expect(nearestRankPercentile([10, 20, 30, 40], 50)).toBe(20);
    expect(nearestRankPercentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it('is exact where a float product would round up (7 % of 100 is rank 7; 0.07 × 100 is 7.000000000000001)', () => {
    expect(nearestRankPercentile(hundred, 7)).toBe(7);
    expect(nearestRankPercentile(Array.from({ length: 20 }, (_, i) => i + 1), 95)).toBe(19);
  });

  it('gives the maximum for p99 of fewer than 100 samples, and null for none', () => {
    expect(nearestRankPercentile([3, 5, 8, 200], 99)).toBe(200);
    expect(nearestRankPercentile([7], 50)).toBe(7);
    expect(nearestRankPercentile([], 50)).toBeNull();
  });

  it('refuses a percentile outside 0..100', () => {
    expect(() => nearestRankPercentile([1], 101)).toThrow(RangeError);
    expect(() => nearestRankPercentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('percentile (Hyndman & Fan type 7, as NumPy and R default)', () => {
  it.each([
    // NumPy: np.percentile([15, 20, 35, 40, 50], [50, 95, 99]) → 35, 48, 49.6
    [[15, 20, 35, 40, 50], 0.5, 35],
    [[15, 20, 35, 40, 50], 0.95, 48],
    [[15, 20, 35, 40, 50], 0.99, 49.6],
    // np.percentile([1, 2, 3, 4], [25, 95]) → 1.75, 3.85; order of input does not matter
    [[4, 1, 3, 2], 0.25, 1.75],
    [[4, 1, 3, 2], 0.95, 3.85],
    [[7], 0.95, 7],
    [[1, 2], 0, 1],
    [[1, 2], 1, 2],
  ])('%j at %d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBeCloseTo(expected, 12);
  });

  it('returns null for no values and refuses a p outside [0, 1] or a NaN value', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(() => percentile([1], 95)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 0.5)).toThrow(RangeError);
  });

  it('differs from the nearest rank where the rank falls between two samples', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.99)).toBeCloseTo(99.01, 12);
    expect(nearestRankPercentile(hundred, 99)).toBe(99);
    expect(percentile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(nearestRankPercentile([1, 2, 3, 4], 25)).toBe(1);
  });
});

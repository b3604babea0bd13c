import { describe, expect, it } from 'vitest';
import { latencyPercentile } from './latency-percentile.js';

describe('latencyPercentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns an observed value: ceil(p × n / 100)-th smallest', () => {
    expect(latencyPercentile(hundred, 50)).toBe(50);
    expect(latencyPercentile(hundred, 95)).toBe(95);
    expect(latencyPercentile(hundred, 99)).toBe(99);
    expect(latencyPercentile(hundred, 100)).toBe(100);
    expect(latencyPercentile(hundred, 0)).toBe(1);
    expect(latencyPercentile([10, 20, 30, 40], 50)).toBe(20);
    expect(latencyPercentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it('is exact where a float product would round up (7 % of 100 is rank 7; 0.07 × 100 is 7.000000000000001)', () => {
    expect(latencyPercentile(hundred, 7)).toBe(7);
    expect(latencyPercentile(Array.from({ length: 20 }, (_, i) => i + 1), 95)).toBe(19);
  });

  it('gives the maximum for p99 of fewer than 100 samples, and null for none', () => {
    expect(latencyPercentile([3, 5, 8, 200], 99)).toBe(200);
    expect(latencyPercentile([7], 50)).toBe(7);
    expect(latencyPercentile([], 50)).toBeNull();
  });

  it('refuses a percentile outside 0..100', () => {
    expect(() => latencyPercentile([1], 101)).toThrow(RangeError);
    expect(() => latencyPercentile([1], Number.NaN)).toThrow(RangeError);
  });
});

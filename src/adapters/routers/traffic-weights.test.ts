import { describe, expect, it } from 'vitest';
import { RewindError } from '../../errors/rewind-error.js';
import type { TrafficWeights } from '../../ports/traffic-router.js';
import { toPercentages, validateWeights } from './traffic-weights.js';

describe('validateWeights', () => {
  it('accepts whole percentages summing to 100 and drops extra keys', () => {
    expect(validateWeights({ stable: 90, canary: 10 })).toEqual({ stable: 90, canary: 10 });
    expect(validateWeights({ stable: 0, canary: 100, extra: 1 } as TrafficWeights)).toEqual({ stable: 0, canary: 100 });
  });

  it.each([
    [{ stable: 90, canary: 20 }, /sum|must be 100/],
    [{ stable: 50.5, canary: 49.5 }, /weights\.stable must be a whole percentage/],
    [{ stable: -10, canary: 110 }, /weights\.stable/],
    [{ stable: 100 }, /weights\.canary/],
    [{ stable: Number.NaN, canary: 100 }, /weights\.stable/],
    [{ stable: '90', canary: 10 }, /weights\.stable/],
    [null, /must be an object/],
  ])('refuses %j with a coded error naming the field', (weights, message) => {
    try {
      validateWeights(weights as unknown as TrafficWeights);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RewindError);
      expect((error as RewindError).code).toBe('REWIND_E_ROUTER_INVALID');
      expect((error as RewindError).message).toMatch(message);
    }
  });
});

describe('toPercentages', () => {
  it('normalises raw proxy weights and keeps the sum at 100', () => {
    expect(toPercentages(9, 1)).toEqual({ stable: 90, canary: 10 });
    expect(toPercentages(1, 2)).toEqual({ stable: 33, canary: 67 });
    expect(toPercentages(0, 0)).toEqual({ stable: 0, canary: 0 });
  });
});

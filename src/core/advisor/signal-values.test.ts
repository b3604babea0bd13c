import { describe, expect, it } from 'vitest';
import { RewindError } from '../../errors/rewind-error.js';
import { parseErrorRate, parseFixEta, parseLatencyRatio, parseUsersAffected } from './signal-values.js';

const usageError = (fn: () => unknown, argument: string) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    expect((error as RewindError).code).toBe('REWIND_E_USAGE');
    expect((error as RewindError).details.argument).toBe(argument);
    expect((error as RewindError).message).toContain(argument);
    return;
  }
  throw new Error('expected a usage error');
};

describe('operator signal values', () => {
  it('--fix-eta takes durations with units, in minutes', () => {
    expect([parseFixEta('20m'), parseFixEta('1h'), parseFixEta('90s'), parseFixEta('1h30m'), parseFixEta('0.5h')]).toEqual([20, 60, 1.5, 90, 30]);
    for (const bad of ['20', 'soon', '', 'm', '-5m', '20 min', '1d']) usageError(() => parseFixEta(bad), '--fix-eta');
  });

  it('--error-rate takes a fraction or a percentage', () => {
    expect([parseErrorRate('8%'), parseErrorRate('0.08'), parseErrorRate('1'), parseErrorRate('0')]).toEqual([0.08, 0.08, 1, 0]);
    for (const bad of ['8', '101%', '-1%', 'abc', '%', '']) usageError(() => parseErrorRate(bad), '--error-rate');
  });

  it('--latency-ratio takes a positive ratio', () => {
    expect([parseLatencyRatio('1.8'), parseLatencyRatio('2x')]).toEqual([1.8, 2]);
    for (const bad of ['0', '-1', 'slow', '']) usageError(() => parseLatencyRatio(bad), '--latency-ratio');
  });

  it('--users-affected takes all, many or few', () => {
    expect(parseUsersAffected('few')).toBe('few');
    usageError(() => parseUsersAffected('some'), '--users-affected');
  });
});

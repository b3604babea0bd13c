import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate, Condition, MetricSpec } from './analysis-types.js';
import { checkAnalysisTemplate } from './check-analysis-template.js';

const base = (metrics: MetricSpec[], over: Partial<AnalysisTemplate> = {}): AnalysisTemplate => ({ intervalMs: 10_000, count: 18, metrics, ...over });

describe('checkAnalysisTemplate', () => {
  it('accepts a plain template', () => {
    expect(checkAnalysisTemplate(base([{ name: 'a', failureCondition: { op: '>', value: 1 } }]))).toEqual([]);
  });

  it.each([
    [base([{ name: 'a' }], { intervalMs: 0 }), 'intervalMs must be a positive integer (ms), got 0'],
    [base([{ name: 'a' }], { count: 1.5 }), 'count must be a positive integer, got 1.5'],
    [base([]), 'metrics must list at least one metric'],
    [base([{ name: 'a' }, { name: 'a' }]), 'metrics[1].name "a" is used by an earlier metric'],
    [base([{ name: 'a', failureLimit: -1 }]), 'metrics[0].failureLimit must be a non-negative integer, got -1'],
    [base([{ name: 'a', consecutiveErrorLimit: 0.5 }]), 'metrics[0].consecutiveErrorLimit must be a non-negative integer, got 0.5'],
    [base([{ name: 'a', failureCondition: { op: '=' as never, value: 1 } }]), 'metrics[0].failureCondition.op must be one of > >= < <=, got ='],
    [base([{ name: 'a', failureCondition: { op: '>' } as unknown as Condition }]), 'metrics[0].failureCondition needs exactly one of value or baselineFactor'],
    [base([{ name: 'a', failureCondition: { op: '>', value: 1, baselineFactor: 2 } as unknown as Condition }]), 'metrics[0].failureCondition needs exactly one of value or baselineFactor'],
    [base([{ name: 'a', successCondition: { op: '<', baselineFactor: 0 } }]), 'metrics[0].successCondition.baselineFactor must be a positive number, got 0'],
    [base([{ name: 'a', failureCondition: { op: '>', value: Number.NaN } }]), 'metrics[0].failureCondition.value must be a finite number, got NaN'],
    [base([{ name: 'a', failureCondition: { op: '>', value: 0.05, confidence: 1 } }]), 'metrics[0].failureCondition.confidence must be within (0, 1), got 1'],
    [base([{ name: 'a', failureCondition: { op: '>', value: 300, confidence: 0.99 } }]), 'metrics[0].failureCondition.confidence applies to rates: value must be within (0, 1), got 300'],
  ])('reports %j', (template, problem) => {
    expect(checkAnalysisTemplate(template)).toContain(problem);
  });

  it('checks baselines only when it is given them', () => {
    const t = base([{ name: 'p95', failureCondition: { op: '>', baselineFactor: 1.5 } }]);
    expect(checkAnalysisTemplate(t)).toEqual([]);
    expect(checkAnalysisTemplate(t, { p95: 120 })).toEqual([]);
    expect(checkAnalysisTemplate(t, { other: 120 })).toEqual(['metrics[0].failureCondition is relative to a baseline, but no baseline was measured for "p95"']);
    expect(checkAnalysisTemplate(t, { p95: -1 })).toEqual(['metrics[0].failureCondition is relative to a baseline, but the baseline of "p95" is -1 (must be positive)']);
  });
});

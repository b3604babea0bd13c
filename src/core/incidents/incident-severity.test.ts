import { describe, expect, it } from 'vitest';
import type { OperationRecord, StepRecord } from '../../ports/ledger.js';
import { classifyRollback, worstSeverity } from './incident-severity.js';

const rollback = (parentId: string | null): OperationRecord => ({ id: 'rb', env: 'e', kind: 'rollback', fromVersion: '2', toVersion: '1', state: 'succeeded', plan: {}, actor: 'a', parentId, reason: null, error: null, startedAt: 0, finishedAt: 1 });
const step = (kind: string, state: StepRecord['state'], detail: unknown = {}, at = 10): StepRecord => ({ operationId: 'd', index: at, stepId: kind, kind, state, attempt: 1, detail, startedAt: at, finishedAt: at + 1 });

describe('the severity of a rollback, from the decision matrix rows', () => {
  it.each([
    ['a failed rollback', rollback('d'), false, [], 'failed-rollback', 'critical'],
    ['a rollback by hand', rollback(null), true, [], 'unspecified-issue', 'medium'],
    ['after a failed migration', rollback('d'), true, [step('migrate', 'failed')], 'failed-migration', 'high'],
    ['after a watch failed on the error rate', rollback('d'), true, [step('watch', 'failed', { reasons: ['error_rate 0.2 > 0.05'] })], 'error-rate', 'critical'],
    ['after a watch failed on latency', rollback('d'), true, [step('watch', 'failed', { reasons: ['latency_p95_ms 240 > 1.5 × baseline'] })], 'performance-degradation', 'high'],
    ['after a failed health check', rollback('d'), true, [step('health', 'succeeded', {}, 5), step('health', 'failed', {}, 9)], 'failed-deploy', 'high'],
  ] as const)('%s', (_name, op, ok, steps, issue, severity) => {
    expect(classifyRollback(op, ok, [...steps])).toMatchObject({ issue, severity });
  });

  it('an incident keeps the worst severity of its rollbacks', () => {
    expect(worstSeverity('medium', 'high')).toBe('high');
    expect(worstSeverity('critical', 'low')).toBe('critical');
    expect(worstSeverity('low', 'low')).toBe('low');
  });
});

/**
 * The one place a metric's conditions are applied to a measurement (Argo's `utils/evaluate`).
 * Everything else — the run, the defaults, the runner — asks this module what a number means.
 */
import type { Baselines, ComparisonOp, Condition, Measurement, MeasurementOutcome, MetricSpec } from './analysis-types.js';
import { isBaselineCondition } from './analysis-types.js';
import { formatNumber } from './number-format.js';
import { binomialTail } from './statistics.js';

export interface MeasurementJudgement {
  outcome: MeasurementOutcome;
  reason: string;
}

type ConditionCheck = { holds: boolean; text: string } | { error: string };

/**
 * Judges one measurement of `metric`. Never throws; the outcome is
 *   error        — the source failed, or returned null / a non-finite number / a count of 0, or a baseline-relative
 *                  condition has no usable baseline (missing, zero, negative): missing data is never
 *                  evidence that a release is bad;
 *   inconclusive — fewer events than `metric.minCount`, or both conditions given and neither holds;
 *   failed       — the failure condition holds (it wins over the success condition), or only a
 *                  success condition is given and it does not hold;
 *   succeeded    — otherwise: the success condition holds, or only a failure condition is given and
 *                  it does not hold, or the metric has no condition at all.
 */
export function evaluateMeasurement(metric: MetricSpec, measurement: Measurement, baselines: Baselines = {}): MeasurementJudgement {
  const name = metric.name;
  if (measurement.sourceError !== undefined) return { outcome: 'error', reason: `${name}: the metric source failed: ${measurement.sourceError}` };
  const value = measurement.value;
  if (value === null) return { outcome: 'error', reason: `${name}: the metric source returned no data` };
  if (!Number.isFinite(value)) return { outcome: 'error', reason: `${name}: the metric source returned ${value}, not a number` };
  // A rate over no events is 0/0 whatever number the source put in `value`: no data, not a healthy 0 %.
  if (measurement.count === 0) return { outcome: 'error', reason: `${name}: no events in the interval, nothing to judge` };
  if (metric.minCount !== undefined && measurement.count !== undefined && measurement.count < metric.minCount) {
    return { outcome: 'inconclusive', reason: `${name}: only ${measurement.count} events, fewer than the ${metric.minCount} needed to judge` };
  }

  const success = metric.successCondition ? checkCondition(metric.successCondition, measurement, value, baselines[name]) : undefined;
  const failure = metric.failureCondition ? checkCondition(metric.failureCondition, measurement, value, baselines[name]) : undefined;
  for (const check of [failure, success]) if (check && 'error' in check) return { outcome: 'error', reason: `${name}: ${check.error}` };
  const s = success as { holds: boolean; text: string } | undefined;
  const f = failure as { holds: boolean; text: string } | undefined;
  const shown = `${name} ${formatNumber(value)}`;

  if (!s && !f) return { outcome: 'succeeded', reason: `${shown} (no condition: every measurement succeeds)` };
  if (f?.holds) return { outcome: 'failed', reason: `${shown} ${f.text}` };
  if (!f) return { outcome: s!.holds ? 'succeeded' : 'failed', reason: `${shown} ${s!.text}` };
  if (!s) return { outcome: 'succeeded', reason: `${shown} ${f.text}` };
  if (s.holds) return { outcome: 'succeeded', reason: `${shown} ${s.text}` };
  return { outcome: 'inconclusive', reason: `${shown} meets neither condition (success: ${s.text}; failure: ${f.text})` };
}

function checkCondition(condition: Condition, m: Measurement, value: number, baseline: number | undefined): ConditionCheck {
  if (isBaselineCondition(condition)) {
    if (baseline === undefined) return { error: 'no baseline was measured for a baseline-relative condition' };
    // A zero baseline would make any positive reading "infinitely slower": treat it as unusable.
    if (!Number.isFinite(baseline) || baseline <= 0) return { error: `the baseline ${baseline} cannot scale a condition (it must be a positive number)` };
    const threshold = condition.baselineFactor * baseline;
    const holds = compare(value, condition.op, threshold);
    return { holds, text: `${holds ? '' : 'not '}${condition.op} ${formatNumber(condition.baselineFactor)} × baseline ${formatNumber(baseline)} = ${formatNumber(threshold)}` };
  }
  const byValue = compare(value, condition.op, condition.value);
  const base = `${condition.op} ${formatNumber(condition.value)}`;
  const evidence = rateEvidence(condition.op, condition.value, condition.confidence, m);
  if (!evidence) return { holds: byValue, text: `${byValue ? '' : 'not '}${base}` };
  const holds = byValue && evidence.pValue <= 1 - condition.confidence!;
  const counts = `${m.errors} of ${m.count}, P = ${formatNumber(evidence.pValue)}`;
  if (holds || !byValue) return { holds, text: `${holds ? '' : 'not '}${base} (${counts})` };
  return { holds, text: `${base} by value but not with ${formatNumber(condition.confidence! * 100)} % confidence (${counts})` };
}

/**
 * The exact binomial p-value behind a rate condition: for `>`/`>=`, P(at least this many errors if
 * the true rate were the threshold); for `<`/`<=`, P(at most this many). Undefined when the
 * condition asks for no confidence or the measurement carries no usable counts.
 */
function rateEvidence(op: ComparisonOp, threshold: number, confidence: number | undefined, m: Measurement): { pValue: number } | undefined {
  if (confidence === undefined || m.count === undefined || m.errors === undefined) return undefined;
  const { count, errors } = m;
  if (!Number.isInteger(count) || !Number.isInteger(errors) || errors < 0 || errors > count || count === 0) return undefined;
  if (!(threshold > 0 && threshold < 1)) return undefined;
  const tail = op === '>' || op === '>=' ? 'upper' : 'lower';
  return { pValue: binomialTail(errors, count, threshold, tail) };
}

function compare(value: number, op: ComparisonOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

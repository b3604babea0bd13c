/**
 * Checks a template before a run starts, so a mistake in it is reported once, up front, instead of
 * as a paused watch window a minute after the switch. Returns problems as lines naming the field
 * (`metrics[1].failureCondition.baselineFactor must be a positive number`); empty means usable.
 * The caller maps problems to its coded error (config: REWIND_E_CONFIG_INVALID).
 */
import type { AnalysisTemplate, Baselines, Condition } from './analysis-types.js';
import { isBaselineCondition } from './analysis-types.js';

const OPS = new Set(['>', '>=', '<', '<=']);

/** `baselines`, when given, must hold a positive number for every metric with a baseline-relative condition. */
export function checkAnalysisTemplate(template: AnalysisTemplate, baselines?: Baselines): string[] {
  const problems: string[] = [];
  if (!isPositiveInteger(template.intervalMs)) problems.push(`intervalMs must be a positive integer (ms), got ${template.intervalMs}`);
  if (!isPositiveInteger(template.count)) problems.push(`count must be a positive integer, got ${template.count}`);
  if (template.metrics.length === 0) problems.push('metrics must list at least one metric');
  const seen = new Set<string>();
  template.metrics.forEach((metric, i) => {
    const at = `metrics[${i}]`;
    if (!metric.name) problems.push(`${at}.name must be a non-empty string`);
    if (seen.has(metric.name)) problems.push(`${at}.name "${metric.name}" is used by an earlier metric`);
    seen.add(metric.name);
    for (const key of ['failureLimit', 'inconclusiveLimit', 'consecutiveErrorLimit', 'minCount'] as const) {
      const v = metric[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) problems.push(`${at}.${key} must be a non-negative integer, got ${v}`);
    }
    for (const key of ['successCondition', 'failureCondition'] as const) {
      const condition = metric[key];
      if (condition) problems.push(...checkCondition(condition, `${at}.${key}`));
      if (condition && isBaselineCondition(condition) && baselines) {
        const b = baselines[metric.name];
        if (b === undefined) problems.push(`${at}.${key} is relative to a baseline, but no baseline was measured for "${metric.name}"`);
        else if (!(Number.isFinite(b) && b > 0)) problems.push(`${at}.${key} is relative to a baseline, but the baseline of "${metric.name}" is ${b} (must be positive)`);
      }
    }
  });
  return problems;
}

function checkCondition(c: Condition, at: string): string[] {
  const problems: string[] = [];
  if (!OPS.has(c.op)) problems.push(`${at}.op must be one of > >= < <=, got ${String(c.op)}`);
  const hasValue = 'value' in c;
  const hasFactor = 'baselineFactor' in c;
  if (hasValue === hasFactor) return [...problems, `${at} needs exactly one of value or baselineFactor`];
  if (isBaselineCondition(c)) {
    if (!(Number.isFinite(c.baselineFactor) && c.baselineFactor > 0)) problems.push(`${at}.baselineFactor must be a positive number, got ${c.baselineFactor}`);
    return problems;
  }
  if (!Number.isFinite(c.value)) problems.push(`${at}.value must be a finite number, got ${c.value}`);
  if (c.confidence !== undefined) {
    if (!(c.confidence > 0 && c.confidence < 1)) problems.push(`${at}.confidence must be within (0, 1), got ${c.confidence}`);
    if (!(c.value > 0 && c.value < 1)) problems.push(`${at}.confidence applies to rates: value must be within (0, 1), got ${c.value}`);
  }
  return problems;
}

const isPositiveInteger = (n: number) => Number.isInteger(n) && n > 0;

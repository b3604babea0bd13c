/**
 * Folds measurements into an analysis run and judges it, as Argo Rollouts' AnalysisRun does: per
 * metric, count the outcomes; a metric fails when failed > failureLimit, is inconclusive when
 * inconclusive > inconclusiveLimit, is in error when consecutive errors > consecutiveErrorLimit, and
 * succeeds once `count` judged measurements stayed within those limits. The run's decision:
 *   failed    — some metric failed: roll back by itself;
 *   paused    — no metric failed but one is inconclusive or in error: tell a human. Missing or
 *               unclear data never rolls back automatically;
 *   succeeded — every metric succeeded: the release passed its watch window;
 *   continue  — keep measuring.
 * Pure: state in, state out; the runner takes the measurements and journals the verdicts.
 */
import { RewindError } from '../../errors/rewind-error.js';
import type { AnalysisTemplate, Baselines, JudgedMeasurement, Measurement, MetricSpec } from './analysis-types.js';
import { DEFAULT_LIMITS } from './analysis-types.js';
import { evaluateMeasurement } from './evaluate-measurement.js';

export type MetricPhase = 'running' | 'succeeded' | 'failed' | 'inconclusive' | 'error';
export type AnalysisDecision = 'continue' | 'succeeded' | 'failed' | 'paused';

export interface MetricRunState {
  metric: string;
  /** Final once it is not `running`: later measurements of this metric are ignored. */
  phase: MetricPhase;
  /** Why the phase is final, e.g. "1 failed measurement > failureLimit 0". */
  phaseReason?: string;
  measurements: readonly JudgedMeasurement[];
  succeeded: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveErrors: number;
}

export interface AnalysisRunState {
  template: AnalysisTemplate;
  baselines: Baselines;
  /** In template order. */
  metrics: readonly MetricRunState[];
}

export interface MetricSummary {
  metric: string;
  phase: MetricPhase;
  succeeded: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveErrors: number;
}

export interface AnalysisVerdict {
  decision: AnalysisDecision;
  /** One line per metric that decided, with the numbers. */
  reasons: string[];
  /**
   * The measurements that decided it, for the journal: for `failed` the failed ones (the last is the
   * one that crossed the limit), for `paused` the inconclusive ones or the run of consecutive errors,
   * for `succeeded` every judged one, for `continue` the latest of each metric.
   */
  decidedBy: JudgedMeasurement[];
  metrics: MetricSummary[];
}

/** A run with no measurements yet. `baselines` feed baseline-relative conditions (BaselineCondition in analysis-types.ts). */
export function startAnalysisRun(template: AnalysisTemplate, baselines: Baselines = {}): AnalysisRunState {
  return {
    template,
    baselines,
    metrics: template.metrics.map((m) => ({ metric: m.name, phase: 'running', measurements: [], succeeded: 0, failed: 0, inconclusive: 0, errors: 0, consecutiveErrors: 0 })),
  };
}

/**
 * Judges `measurement` and returns the new state; `state` is not modified. A measurement of a metric
 * whose phase is already final changes nothing (Argo stops measuring a completed metric). Throws
 * RewindError REWIND_E_INTERNAL for a metric the template does not have: the runner asked for it, so
 * it is a bug, not data.
 */
export function recordMeasurement(state: AnalysisRunState, measurement: Measurement): AnalysisRunState {
  const index = state.template.metrics.findIndex((m) => m.name === measurement.metric);
  if (index < 0) {
    throw new RewindError('REWIND_E_INTERNAL', `analysis: measurement of unknown metric "${measurement.metric}"`, { known: state.template.metrics.map((m) => m.name) });
  }
  const spec = state.template.metrics[index]!;
  const current = state.metrics[index]!;
  if (current.phase !== 'running') return state;

  const { outcome, reason } = evaluateMeasurement(spec, measurement, state.baselines);
  const { samples: _samples, ...kept } = measurement;
  const judged: JudgedMeasurement = { ...kept, seq: current.measurements.length + 1, outcome, reason };
  const next: MetricRunState = {
    ...current,
    measurements: [...current.measurements, judged],
    succeeded: current.succeeded + (outcome === 'succeeded' ? 1 : 0),
    failed: current.failed + (outcome === 'failed' ? 1 : 0),
    inconclusive: current.inconclusive + (outcome === 'inconclusive' ? 1 : 0),
    errors: current.errors + (outcome === 'error' ? 1 : 0),
    // Any judged measurement ends a run of errors: the source is answering again.
    consecutiveErrors: outcome === 'error' ? current.consecutiveErrors + 1 : 0,
  };
  const assessed = assessMetric(spec, next, state.template.count);
  const metrics = state.metrics.slice();
  metrics[index] = { ...next, ...assessed };
  return { ...state, metrics };
}

/** Argo's assessMetricStatus, in its order: failure, then inconclusive, then errors, then count. */
function assessMetric(spec: MetricSpec, s: MetricRunState, count: number): Pick<MetricRunState, 'phase' | 'phaseReason'> {
  const failureLimit = spec.failureLimit ?? DEFAULT_LIMITS.failureLimit;
  const inconclusiveLimit = spec.inconclusiveLimit ?? DEFAULT_LIMITS.inconclusiveLimit;
  const consecutiveErrorLimit = spec.consecutiveErrorLimit ?? DEFAULT_LIMITS.consecutiveErrorLimit;
  if (s.failed > failureLimit) return { phase: 'failed', phaseReason: `${plural(s.failed, 'failed measurement')} > failureLimit ${failureLimit}` };
  if (s.inconclusive > inconclusiveLimit) {
    return { phase: 'inconclusive', phaseReason: `${plural(s.inconclusive, 'inconclusive measurement')} > inconclusiveLimit ${inconclusiveLimit}` };
  }
  if (s.consecutiveErrors > consecutiveErrorLimit) {
    return { phase: 'error', phaseReason: `${plural(s.consecutiveErrors, 'consecutive error')} > consecutiveErrorLimit ${consecutiveErrorLimit}` };
  }
  const judged = s.succeeded + s.failed + s.inconclusive;
  if (judged >= count) {
    return { phase: 'succeeded', phaseReason: `${judged} of ${count} measurements judged within limits (${s.failed} failed, ${s.inconclusive} inconclusive)` };
  }
  return { phase: 'running' };
}

/** The run's decision from its metrics' phases; a failure anywhere outranks a pause (see the module doc). */
export function judgeAnalysisRun(state: AnalysisRunState): AnalysisVerdict {
  const metrics = state.metrics.map(summarize);
  const failed = state.metrics.filter((m) => m.phase === 'failed');
  if (failed.length > 0) {
    return {
      decision: 'failed',
      reasons: failed.map((m) => `${m.metric} failed: ${m.phaseReason}; at measurement ${lastOf(m, 'failed')!.seq}: ${lastOf(m, 'failed')!.reason}`),
      decidedBy: failed.flatMap((m) => m.measurements.filter((x) => x.outcome === 'failed')),
      metrics,
    };
  }
  const paused = state.metrics.filter((m) => m.phase === 'inconclusive' || m.phase === 'error');
  if (paused.length > 0) {
    return {
      decision: 'paused',
      reasons: paused.map((m) => {
        const last = m.measurements[m.measurements.length - 1]!;
        const what = m.phase === 'error' ? 'has no usable data' : 'is inconclusive';
        return `${m.metric} ${what}: ${m.phaseReason}; at measurement ${last.seq}: ${last.reason}. Not rolled back automatically: a human decides`;
      }),
      decidedBy: paused.flatMap((m) => (m.phase === 'error' ? m.measurements.slice(-m.consecutiveErrors) : m.measurements.filter((x) => x.outcome === 'inconclusive'))),
      metrics,
    };
  }
  if (state.metrics.length === 0) {
    // Passing a release on no evidence at all would mark it good unwatched; make a person say so.
    return { decision: 'paused', reasons: ['the analysis template has no metrics: nothing was judged'], decidedBy: [], metrics };
  }
  if (state.metrics.every((m) => m.phase === 'succeeded')) {
    return {
      decision: 'succeeded',
      reasons: state.metrics.map((m) => `${m.metric} succeeded: ${m.phaseReason}`),
      decidedBy: state.metrics.flatMap((m) => m.measurements.filter((x) => x.outcome !== 'error')),
      metrics,
    };
  }
  return {
    decision: 'continue',
    reasons: state.metrics.map(
      (m) => `${m.metric}: ${m.phase === 'running' ? `${m.succeeded + m.failed + m.inconclusive} of ${state.template.count} judged` : m.phase} (${m.failed} failed, ${m.inconclusive} inconclusive, ${m.consecutiveErrors} consecutive errors)`,
    ),
    decidedBy: state.metrics.flatMap((m) => (m.measurements.length > 0 ? [m.measurements[m.measurements.length - 1]!] : [])),
    metrics,
  };
}

export interface AnalysisOutcome {
  state: AnalysisRunState;
  verdict: AnalysisVerdict;
  /** How many of the given measurements were folded before the decision stopped being `continue`. */
  consumed: number;
}

/**
 * Folds `measurements` in order and stops at the first one after which the decision is not
 * `continue` — the point where the runner would act. For simulations, tests and replaying a journal.
 */
export function runAnalysis(template: AnalysisTemplate, measurements: Iterable<Measurement>, baselines: Baselines = {}): AnalysisOutcome {
  let state = startAnalysisRun(template, baselines);
  let verdict = judgeAnalysisRun(state);
  let consumed = 0;
  if (state.metrics.length === 0) return { state, verdict, consumed };
  for (const m of measurements) {
    state = recordMeasurement(state, m);
    consumed++;
    verdict = judgeAnalysisRun(state);
    if (verdict.decision !== 'continue') break;
  }
  return { state, verdict, consumed };
}

function summarize(m: MetricRunState): MetricSummary {
  return { metric: m.metric, phase: m.phase, succeeded: m.succeeded, failed: m.failed, inconclusive: m.inconclusive, errors: m.errors, consecutiveErrors: m.consecutiveErrors };
}

function lastOf(m: MetricRunState, outcome: JudgedMeasurement['outcome']): JudgedMeasurement | undefined {
  for (let i = m.measurements.length - 1; i >= 0; i--) if (m.measurements[i]!.outcome === outcome) return m.measurements[i];
  return undefined;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

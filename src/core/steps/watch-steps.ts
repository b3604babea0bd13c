import type { WatchSettings } from '../../config/config-schema.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import { judgeAnalysisRun, recordMeasurement, startAnalysisRun } from '../analysis/analysis-run.js';
import type { AnalysisTemplate } from '../analysis/analysis-types.js';
import { defaultAnalysisTemplate, LATENCY_P95_METRIC } from '../analysis/default-analysis.js';
import { measureMetric as measureOne } from '../analysis/measure-metric.js';
import type { StepContext, StepExecutor } from './step-context.js';

/**
 * The watch window (seed 000: "Monitor logs for 2–5 minutes"; seed 002's triggers): after
 * activation, measure the release every interval and judge each measurement with the analysis
 * (Argo Rollouts' semantics). `failed` fails the step, so the deploy rolls back by itself; `error`
 * and `inconclusive` limits pause it — the step ends `inconclusive`, the deploy stops without a
 * rollback and tells a human, because missing data is not evidence of a bad release.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Preflight: the running release's p95 latency, the baseline the watch compares the new release with. */
export const baselineMetrics: StepExecutor = async (step, context) => {
  const watch = context.config.watch;
  if (!watch) return succeeded('no watch window configured');
  const source = context.services.createMetricSource(watch.source);
  try {
    const m = await measureOne(source, watch, LATENCY_P95_METRIC);
    if (m.value === null) return succeeded(`no baseline p95 for ${String(step.params.version)} (${m.sourceError ?? 'no data'}): the watch judges the error rate only`, { baseline: null });
    // Judged against at least the floor: 2 ms → 4 ms is "twice as slow" yet nobody notices it.
    const baseline = Math.max(m.value, watch.latencyFloorMs);
    return succeeded(`baseline p95 of ${String(step.params.version)}: ${m.value.toFixed(1)} ms${baseline > m.value ? ` (judged against the ${watch.latencyFloorMs} ms floor)` : ''}`, {
      baseline: { [LATENCY_P95_METRIC]: baseline },
      measuredP95Ms: m.value,
    });
  } finally {
    await source.close?.();
  }
};

export function templateFor(watch: WatchSettings, hasBaseline: boolean, windowMs = watch.windowMs): AnalysisTemplate {
  const template = defaultAnalysisTemplate({ watchWindowMs: windowMs, intervalMs: watch.intervalMs, errorRateThreshold: watch.errorRateThreshold, latencyFactor: watch.latencyFactor });
  // Without a baseline (first deploy, or no data in preflight) a relative latency condition cannot be judged.
  return hasBaseline ? template : { ...template, metrics: template.metrics.filter((m) => m.name !== LATENCY_P95_METRIC) };
}

export async function baselineOf(context: StepContext): Promise<Record<string, number>> {
  const steps = await context.ledger.listSteps(context.operation.id);
  const found = steps.find((s) => s.stepId === 'baseline-metrics' && s.state === 'succeeded');
  return ((found?.detail as { baseline?: Record<string, number> | null } | undefined)?.baseline ?? {}) as Record<string, number>;
}

export const watchWindow: StepExecutor = async (step, context): Promise<Outcome> => {
  const watch = context.config.watch;
  if (!watch) return succeeded('no watch window configured');
  const version = step.params.version as string;
  const baselines = await baselineOf(context);
  // A post-rollback watch carries its own length (watch.afterRollbackMs or `rollback --watch`).
  const windowMs = typeof step.params.windowMs === 'number' ? step.params.windowMs : watch.windowMs;
  const template = templateFor(watch, LATENCY_P95_METRIC in baselines, windowMs);
  const source = context.services.createMetricSource(watch.source);
  const { sink } = context.services;
  let state = startAnalysisRun(template, baselines);
  const measured: { seq: number; metric: string; value: number | null; outcome?: string; count?: number; errors?: number; sourceError?: string }[] = [];
  try {
    for (let seq = 1; seq <= template.count; seq++) {
      const started = Date.now();
      const readings = await Promise.all(template.metrics.map((metric) => measureOne(source, watch, metric.name)));
      for (const reading of readings) state = recordMeasurement(state, reading);
      const verdict = judgeAnalysisRun(state);
      const judged = new Map(verdict.metrics.map((m) => [m.metric, m]));
      const lastOutcome = (metric: string) => state.metrics.find((m) => m.metric === metric)?.measurements.at(-1)?.outcome;
      for (const r of readings) {
        const last = { outcome: lastOutcome(r.metric) };
        measured.push({ seq, metric: r.metric, value: r.value, outcome: last?.outcome, count: r.count, errors: r.errors, sourceError: r.sourceError });
      }
      await sink.emit({
        event: 'watch_measurement',
        env: context.env,
        operationId: context.operation.id,
        version,
        seq,
        of: template.count,
        readings: readings.map((r) => ({ metric: r.metric, value: r.value, count: r.count, errors: r.errors, outcome: lastOutcome(r.metric), ...(r.sourceError ? { sourceError: r.sourceError } : {}) })),
        decision: verdict.decision,
        phases: Object.fromEntries([...judged].map(([name, m]) => [name, m.phase])),
      });
      const detail = { windowMs, template: { intervalMs: template.intervalMs, count: template.count, metrics: template.metrics.map((m) => m.name) }, baselines, measurements: measured, decidedBy: verdict.decidedBy, reasons: verdict.reasons };
      if (verdict.decision === 'failed') return failed(`watch window: ${verdict.reasons.join('; ')}`, detail, 'REWIND_E_WATCH_FAILED');
      if (verdict.decision === 'paused') {
        await sink.emit({ event: 'watch_paused', env: context.env, operationId: context.operation.id, version, reasons: verdict.reasons });
        return { status: 'inconclusive', message: `watch window paused: ${verdict.reasons.join('; ')}`, detail, code: 'REWIND_E_WATCH_PAUSED' };
      }
      if (verdict.decision === 'succeeded') return succeeded(`watch window passed: ${verdict.reasons.join('; ')}`, detail);
      const wait = watch.intervalMs - (Date.now() - started);
      if (seq < template.count && wait > 0) await sleep(wait);
    }
    const verdict = judgeAnalysisRun(state);
    return succeeded(`watch window passed after ${template.count} measurements: ${verdict.reasons.join('; ')}`, { windowMs, measurements: measured, reasons: verdict.reasons });
  } finally {
    await source.close?.();
  }
};

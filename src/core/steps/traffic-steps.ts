import { RewindError } from '../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import type { SlotState } from '../../ports/target.js';
import type { TrafficWeights } from '../../ports/traffic-router.js';
import { judgeAnalysisRun, recordMeasurement, startAnalysisRun } from '../analysis/analysis-run.js';
import { compareErrorRates, compareLatency, type ComparisonResult } from '../analysis/canary-comparison.js';
import { ERROR_RATE_METRIC, LATENCY_P95_METRIC } from '../analysis/default-analysis.js';
import { slotAddress, weightsForSlot } from '../traffic/slot-choice.js';
import type { StepContext, StepExecutor } from './step-context.js';
import { measureMetric } from '../analysis/measure-metric.js';
import { baselineOf, sleep, templateFor } from './watch-steps.js';

/**
 * Blue-green and canary steps. The slots come from the target (what each holds); the weights go to
 * the router; which release is current changes only once it has all the traffic.
 */

type SlotRef = Pick<SlotState, 'name' | 'host' | 'port'>;

function slotTarget(context: StepContext) {
  const { target } = context;
  if (!target.startOnSlot || !target.markActive) throw new RewindError('REWIND_E_CONFIG_INVALID', `the ${target.type} target has no slots (configure target.slots)`);
  return { startOnSlot: target.startOnSlot.bind(target), markActive: target.markActive.bind(target) };
}

/** Boots (or reloads) the release on its slot; the other slot keeps serving what it serves. */
export const startSlot: StepExecutor = async (step, context) => {
  const slot = step.params.slot as SlotRef;
  const version = step.params.version as string;
  try {
    return await slotTarget(context).startOnSlot(slot.name, version);
  } catch (error) {
    return failed(`starting ${version} on slot ${slot.name} failed: ${(error as Error).message}`);
  }
};

/** The slots in the router's backend order, as the plan recorded them. */
const slotOrder = (order: unknown) => (order as string[]).map((name) => ({ name }));

/** Sends `weights` through the environment's router, and always lets go of it. */
async function applyWeights(context: StepContext, weights: TrafficWeights): Promise<Outcome> {
  const router = context.services.createTrafficRouter(context.env, context.config);
  try {
    return await router.setWeights(weights);
  } finally {
    await router.close();
  }
}

/** `percent` of new requests to the release's slot; at 100 % it becomes the current, live release. */
export const shiftTraffic: StepExecutor = async (step, context) => {
  const { ledger, env, now, services } = context;
  const slot = step.params.slot as SlotRef;
  const version = step.params.version as string;
  const percent = step.params.percent as number;
  const target = slotTarget(context);
  const weights = weightsForSlot(slotOrder(step.params.order), slot.name, percent);
  const started = performance.now();
  const outcome = await applyWeights(context, weights);
  if (outcome.status !== 'succeeded') return outcome;
  const switchMs = Math.round((performance.now() - started) * 10) / 10;
  if (percent === 100) {
    await target.markActive(version);
    await ledger.setCurrentVersion(env, version, now());
    await ledger.setReleaseState(env, version, 'live', now());
  } else if (step.params.mode === 'deploy') {
    await ledger.setReleaseState(env, version, 'deploying', now());
  }
  await services.sink.emit({ event: 'traffic_shifted', env, operationId: context.operation.id, version, slot: slot.name, percent, weights, switchMs });
  return succeeded(`${percent} % of traffic on ${version} (slot ${slot.name}) in ${switchMs} ms`, { ...outcome.detail, weights, slot: slot.name, percent, switchMs });
};

interface SlotReading {
  seq: number;
  side: 'canary' | 'stable';
  metric: string;
  value: number | null;
  count?: number;
  errors?: number;
  outcome?: string;
  sourceError?: string;
}

/**
 * Judges the canary at one traffic step: every interval each metric is read from the canary's slot
 * and from the stable slot (the probe sends its requests to each slot; a Prometheus query tells them
 * apart by {{instance}} or {{slot}}). The canary's readings go through the analysis (error rate > 5 %
 * fails at once, p95 > 1.5 × the preflight baseline twice); after the last one the pooled counts and
 * latencies are compared, canary against stable (Fisher's exact test, Mann-Whitney U). Failed: the
 * step fails and the deploy's rollback sends all traffic back. No data: all traffic goes back to
 * stable here, and the step ends inconclusive for a human.
 */
export const canaryAnalysis: StepExecutor = async (step, context): Promise<Outcome> => {
  const watch = context.config.watch;
  if (!watch) return failed('a canary needs watch: (its source measures the canary)', undefined, 'REWIND_E_CONFIG_INVALID');
  const version = step.params.version as string;
  const percent = step.params.percent as number;
  const measurements = step.params.measurements as number;
  const canarySlot = step.params.slot as SlotRef;
  const stableSlot = step.params.stable as SlotRef & { version: string };
  const baselines = await baselineOf(context);
  const template = { ...templateFor(watch, LATENCY_P95_METRIC in baselines, measurements * watch.intervalMs), count: measurements };
  // Per-slot measurements need each slot's address; the config refuses a canary on slots without one (ecs).
  if (!slotAddress(canarySlot) || !slotAddress(stableSlot)) return failed('a canary needs slots with addresses of their own to measure each one', undefined, 'REWIND_E_CONFIG_INVALID');
  const scope = (slot: SlotRef) => ({ ...slotAddress(slot)!, slot: slot.name });
  const placeholders = (slot: SlotRef) => ({ instance: `${slot.host}:${slot.port}`, slot: slot.name });
  const sources = { canary: context.services.createMetricSource(watch.source, scope(canarySlot)), stable: context.services.createMetricSource(watch.source, scope(stableSlot)) };
  const pooled = { canary: { errors: 0, total: 0, latencies: [] as number[] }, stable: { errors: 0, total: 0, latencies: [] as number[] } };
  const readings: SlotReading[] = [];
  let state = startAnalysisRun(template, baselines);
  const detail = () => ({ percent, canary: { version, slot: canarySlot.name }, stable: { version: stableSlot.version, slot: stableSlot.name }, baselines, measurements: readings });
  try {
    for (let seq = 1; seq <= template.count; seq++) {
      const started = Date.now();
      const read = async (side: 'canary' | 'stable') =>
        Promise.all(template.metrics.map((metric) => measureMetric(sources[side], watch, metric.name, placeholders(side === 'canary' ? canarySlot : stableSlot))));
      const [canary, stable] = await Promise.all([read('canary'), read('stable')]);
      for (const reading of canary) state = recordMeasurement(state, reading);
      for (const [side, list] of [['canary', canary], ['stable', stable]] as const) {
        for (const r of list) {
          const outcome = side === 'canary' ? state.metrics.find((m) => m.metric === r.metric)?.measurements.at(-1)?.outcome : undefined;
          readings.push({ seq, side, metric: r.metric, value: r.value, count: r.count, errors: r.errors, outcome, ...(r.sourceError ? { sourceError: r.sourceError } : {}) });
          if (r.metric === ERROR_RATE_METRIC && r.count !== undefined) {
            pooled[side].total += r.count;
            pooled[side].errors += r.errors ?? 0;
          }
          if (r.metric === LATENCY_P95_METRIC && r.samples) pooled[side].latencies.push(...r.samples);
        }
      }
      const verdict = judgeAnalysisRun(state);
      await context.services.sink.emit({
        event: 'canary_measurement',
        env: context.env,
        operationId: context.operation.id,
        version,
        percent,
        seq,
        of: template.count,
        readings: readings.filter((r) => r.seq === seq),
        decision: verdict.decision,
      });
      if (verdict.decision === 'failed') return failed(`canary at ${percent} %: ${verdict.reasons.join('; ')}`, { ...detail(), decidedBy: verdict.decidedBy }, 'REWIND_E_CANARY_FAILED');
      if (verdict.decision === 'paused') return pauseCanary(context, slotOrder(step.params.order), stableSlot, version, percent, verdict.reasons, detail());
      const wait = watch.intervalMs - (Date.now() - started);
      if (seq < template.count && wait > 0) await sleep(wait);
    }
    // Errors short of consecutiveErrorLimit do not pause a run, but a metric with no judged reading at all is no evidence.
    const unjudged = state.metrics.filter((m) => m.succeeded + m.failed + m.inconclusive === 0).map((m) => `${m.metric} has no usable reading in ${template.count} measurement(s) (${m.errors} source errors)`);
    if (unjudged.length > 0) return pauseCanary(context, slotOrder(step.params.order), stableSlot, version, percent, unjudged, detail());
    const comparisons = compareSides(pooled, watch.latencyFactor, watch.latencyFloorMs);
    const worse = comparisons.filter((c) => c.verdict === 'worse');
    const reasons = comparisons.flatMap((c) => c.reasons);
    if (worse.length > 0) return failed(`canary at ${percent} % is worse than ${stableSlot.version}: ${worse.flatMap((c) => c.reasons).join('; ')}`, { ...detail(), comparisons }, 'REWIND_E_CANARY_FAILED');
    return succeeded(`canary at ${percent} % within limits over ${template.count} measurement(s)${reasons.length ? `; ${reasons.join('; ')}` : ''}`, { ...detail(), comparisons });
  } finally {
    await Promise.all([sources.canary.close?.(), sources.stable.close?.()]);
  }
};

/** Canary against stable, on what both sides' readings carried (the probe: counts and latencies; Prometheus: neither). */
function compareSides(pooled: Record<'canary' | 'stable', { errors: number; total: number; latencies: number[] }>, latencyFactor: number, floorMs: number): (ComparisonResult & { metric: string })[] {
  const results: (ComparisonResult & { metric: string })[] = [];
  if (pooled.canary.total > 0 && pooled.stable.total > 0) {
    results.push({ metric: ERROR_RATE_METRIC, ...compareErrorRates({ events: pooled.canary.errors, trials: pooled.canary.total }, { events: pooled.stable.errors, trials: pooled.stable.total }) });
  }
  if (pooled.canary.latencies.length > 0 && pooled.stable.latencies.length > 0) {
    const { canary: _c, baseline: _b, ...latency } = compareLatency(pooled.canary.latencies, pooled.stable.latencies, { maxP95Ratio: latencyFactor, p95FloorMs: floorMs });
    results.push({ metric: LATENCY_P95_METRIC, ...latency });
  }
  return results;
}

/** Missing data is no evidence against the canary, but no reason to keep users on it either: all traffic back to stable. */
async function pauseCanary(context: StepContext, order: { name: string }[], stable: SlotRef & { version: string }, version: string, percent: number, reasons: string[], detail: Record<string, unknown>): Promise<Outcome> {
  const back = await applyWeights(context, weightsForSlot(order, stable.name, 100));
  // It never had all the traffic and nothing judged it bad: it can be deployed again.
  await context.ledger.setReleaseState(context.env, version, 'registered', context.now());
  await context.services.sink.emit({ event: 'watch_paused', env: context.env, operationId: context.operation.id, version, canaryPercent: percent, reasons, trafficBackOn: stable.version });
  const where = back.status === 'succeeded' ? `all traffic is back on ${stable.version} (slot ${stable.name})` : `returning traffic to ${stable.version} FAILED: ${back.message}`;
  return { status: 'inconclusive', message: `canary at ${percent} % paused: ${reasons.join('; ')}; ${where}`, detail: { ...detail, reasons, trafficBack: back.status === 'succeeded' }, code: 'REWIND_E_WATCH_PAUSED' };
}

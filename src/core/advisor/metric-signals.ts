import type { WatchSettings } from '../../config/config-schema.js';
import { toRewindError } from '../../errors/rewind-error.js';
import type { Ledger, OperationRecord } from '../../ports/ledger.js';
import type { MetricSource } from '../../ports/metric-source.js';
import type { Measurement } from '../analysis/analysis-types.js';
import { ERROR_RATE_METRIC, LATENCY_P95_METRIC } from '../analysis/default-analysis.js';
import { measureMetric } from '../analysis/measure-metric.js';
import type { Services } from '../services.js';
import type { LiveSignals, MeasuredSignal, MetricSourceKind } from './advice-signals.js';

type MetricServices = Pick<Services, 'ledger' | 'createMetricSource'>;
type Metrics = NonNullable<LiveSignals['metrics']>;

/** The p95 a deploy measured on the release it replaced, before activating (the watch's baseline). */
export interface RecordedBaseline {
  p95Ms: number;
  operationId: string;
  /** The release the deploy brought; the baseline was measured on the one before it. */
  version: string;
}

const unknown = (reason: string, missing?: string): MeasuredSignal => ({ status: 'unknown', reason, ...(missing ? { missing } : {}) });
const both = (reason: string, missing?: string): Metrics => ({ errorRate: unknown(reason, missing), latencyRatio: unknown(reason, missing) });

/**
 * The error rate and latency ratio now, measured through `watch.source` exactly as the watch window
 * measures (same queries, one interval's window). Never throws and never invents a number: no
 * source, a source that fails or answers no data, or no recorded baseline makes that signal
 * `unknown`, with the reason, and the advice is still given from the rest.
 */
export async function measureMetricSignals(services: MetricServices, watch: WatchSettings | undefined, env: string, current: string | null, operations: OperationRecord[]): Promise<Metrics> {
  if (!watch) return both(`no watch.source is configured for ${env}`, `environments.${env}.watch.source`);
  if (!current) return both('nothing is deployed to measure');
  const via = watch.source.type;
  let source: MetricSource;
  try {
    source = services.createMetricSource(watch.source);
  } catch (error) {
    return both(`the ${via} source could not be set up: ${toRewindError(error).message}`);
  }
  try {
    const baseline = await recordedBaseline(services.ledger, operations);
    // A live source (the probe) spends a burst per query: skip the p95 when nothing can be compared with it.
    const [errorRate, p95] = await Promise.all([measureMetric(source, watch, ERROR_RATE_METRIC), baseline ? measureMetric(source, watch, LATENCY_P95_METRIC) : undefined]);
    return {
      errorRate: errorRateSignal(errorRate, via, watch.intervalMs),
      latencyRatio: baseline && p95 ? latencySignal(p95, baseline, via) : unknown(`no deploy of ${env} recorded a baseline p95 to compare with`),
    };
  } finally {
    await source.close?.().catch(() => undefined);
  }
}

/** Why a reading has no value, in words. */
const missing = (m: Measurement, via: MetricSourceKind): string => (m.sourceError ? `${via} failed: ${m.sourceError}` : `${via} returned no data`);

function errorRateSignal(m: Measurement, via: MetricSourceKind, intervalMs: number): MeasuredSignal {
  if (m.value === null || !Number.isFinite(m.value)) return unknown(missing(m, via));
  const detail = m.count !== undefined ? `${m.errors ?? 0} of ${m.count} requests failed` : `over the last ${intervalMs / 1000} s`;
  return { status: 'measured', value: m.value, via, detail };
}

function latencySignal(m: Measurement, baseline: RecordedBaseline, via: MetricSourceKind): MeasuredSignal {
  if (m.value === null) return unknown(missing(m, via));
  // Two decimals: the threshold is 1.5×, and "1.5312×" only reads as false precision.
  const ratio = Number((m.value / baseline.p95Ms).toFixed(2));
  const detail = `p95 ${m.value.toFixed(1)} ms over the ${baseline.p95Ms.toFixed(1)} ms baseline recorded before the deploy of ${baseline.version} (${baseline.operationId})`;
  return { status: 'measured', value: ratio, via, detail };
}

/**
 * The baseline p95 of the newest deploy that recorded one (its `baseline-metrics` step's
 * `detail.baseline.latency_p95_ms`, already raised to the latency floor as the watch judged it).
 * Operations come newest first; a deploy whose preflight had no data is passed over.
 */
export async function recordedBaseline(ledger: Ledger, operations: OperationRecord[]): Promise<RecordedBaseline | undefined> {
  for (const op of operations) {
    if (op.kind !== 'deploy') continue;
    const step = (await ledger.listSteps(op.id)).find((s) => s.stepId === 'baseline-metrics' && s.state === 'succeeded');
    const p95 = (step?.detail as { baseline?: Record<string, unknown> | null } | null | undefined)?.baseline?.[LATENCY_P95_METRIC];
    if (typeof p95 === 'number' && Number.isFinite(p95) && p95 > 0) return { p95Ms: p95, operationId: op.id, version: op.toVersion };
  }
  return undefined;
}

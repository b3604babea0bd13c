/**
 * The analysis layer's data: what a metric source measured, how a template judges it, and what the
 * judgement was. Plain data (numbers and strings) so a plan can carry a template and the journal a
 * verdict, verbatim. The semantics are Argo Rollouts' AnalysisRun (STYLE.md): a measurement is
 * succeeded, failed, inconclusive or error; per-metric limits decide the run; `failed` rolls back,
 * `error` and `inconclusive` pause and tell a human.
 */
import type { OutcomeStatus } from '../../ports/outcome.js';

/** One reading of one metric over one interval. Metric sources return numbers; analysis judges them. */
export interface Measurement {
  /** The template metric this reads (`MetricSpec.name`). */
  metric: string;
  /** When the interval it covers ended, ms since the epoch. */
  at: number;
  /** The number (an error rate as a fraction, a p95 in ms…); null when the source had no data. */
  value: number | null;
  /** Events the value was computed from (requests, for an error rate); lets a condition weigh evidence. */
  count?: number;
  /** Of `count`, how many were errors. With `count`, a rate condition can use an exact binomial test. */
  errors?: number;
  /** Raw observations (latencies in ms) for a canary-vs-baseline comparison; conditions ignore them. */
  samples?: readonly number[];
  /** Why the source could not measure (timeout, HTTP 500, unparsable reply); the measurement is `error`. */
  sourceError?: string;
}

/** A measurement's outcome: the same four values as every step and check (ports/outcome.ts). */
export type MeasurementOutcome = OutcomeStatus;

export type ComparisonOp = '>' | '>=' | '<' | '<=';

/** Holds when the measured value compares to a fixed number, e.g. `{ op: '>', value: 0.05 }`. */
export interface AbsoluteCondition {
  op: ComparisonOp;
  value: number;
  /**
   * For a rate (`value` in (0, 1)) measured with `count` and `errors`: the condition holds only when
   * an exact one-sided binomial test is that confident, so 1 error in 3 requests is not taken as a
   * 33 % error rate. E.g. 0.99: P(at least this many errors | true rate = value) ≤ 1 %. Without
   * `count`/`errors` on the measurement the value alone decides.
   */
  confidence?: number;
}

/**
 * Holds when the value compares to `baselineFactor` × the metric's baseline (measured on the running
 * release in preflight), e.g. `{ op: '>', baselineFactor: 1.5 }`: more than 50 % slower.
 */
export interface BaselineCondition {
  op: ComparisonOp;
  baselineFactor: number;
}

export type Condition = AbsoluteCondition | BaselineCondition;

/** One metric of a template and the limits that turn its measurements into a metric verdict. */
export interface MetricSpec {
  name: string;
  /** With only this, a measurement that does not meet it is failed (Argo). */
  successCondition?: Condition;
  /** With only this, a measurement that does not meet it is succeeded (Argo). With neither, all succeed. */
  failureCondition?: Condition;
  /** The metric fails when failed measurements exceed this. Default 0: the first failure decides. */
  failureLimit?: number;
  /** The metric is inconclusive (pause) when inconclusive measurements exceed this. Default 0. */
  inconclusiveLimit?: number;
  /** The metric is in error (pause) when consecutive error measurements exceed this. Default 4. */
  consecutiveErrorLimit?: number;
  /** A measurement over fewer events than this is inconclusive: too little traffic to judge. Ignored without `count`. */
  minCount?: number;
}

/** How to watch a release: every `intervalMs`, one measurement per metric, `count` judged ones per metric. */
export interface AnalysisTemplate {
  intervalMs: number;
  /**
   * Judged (non-error) measurements per metric after which, within its limits, a metric succeeds.
   * Error measurements do not count (as in Argo): a window never passes on less evidence than this.
   */
  count: number;
  metrics: readonly MetricSpec[];
}

/** Baseline values by metric name, measured on the running release before the switch. */
export type Baselines = Readonly<Record<string, number>>;

/** The limits a metric gets when its spec leaves them out: Argo Rollouts' defaults. */
export const DEFAULT_LIMITS = { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 } as const;

/** A measurement with its outcome, as the journal records it (raw `samples` are not kept). */
export interface JudgedMeasurement extends Omit<Measurement, 'samples'> {
  /** 1-based position among this metric's measurements: 3 is "interval 3". */
  seq: number;
  outcome: MeasurementOutcome;
  /** Why, in words with the numbers: "error_rate 0.2 > 0.05 (20 of 100, P = 1.1e-7)". */
  reason: string;
}

export const isBaselineCondition = (c: Condition): c is BaselineCondition => 'baselineFactor' in c;

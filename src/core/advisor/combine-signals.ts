import type { AdviceSignals, LiveSignals, MeasuredSignal, OperatorSignals, SignalOrigin } from './advice-signals.js';

/**
 * The signals the advice is computed from: what rewind read, with the operator's answers on top.
 * A flag overrides the measured value (the operator may know of traffic the source does not see),
 * and the origin of every metric is kept, so each reason can say where its number came from. Pure.
 */
export function combineSignals(live: LiveSignals, operator: OperatorSignals, commandSuffix: string[] = []): AdviceSignals {
  const noSource: MeasuredSignal = { status: 'unknown', reason: 'not measured' };
  const errorRate = pick(operator.errorRate, '--error-rate', live.metrics?.errorRate ?? noSource);
  const latencyRatio = pick(operator.latencyRatio, '--latency-ratio', live.metrics?.latencyRatio ?? noSource);
  const signals: AdviceSignals = { ...live, ...operator, commandSuffix, origins: { errorRate: errorRate.origin, latencyRatio: latencyRatio.origin } };
  if (errorRate.value === undefined) delete signals.errorRate;
  else signals.errorRate = errorRate.value;
  if (latencyRatio.value === undefined) delete signals.latencyRatio;
  else signals.latencyRatio = latencyRatio.value;
  return signals;
}

function pick(given: number | undefined, flag: '--error-rate' | '--latency-ratio', measured: MeasuredSignal): { value?: number; origin: SignalOrigin } {
  if (given !== undefined) return { value: given, origin: { from: 'flag', flag, measured } };
  if (measured.status === 'measured') return { value: measured.value, origin: { from: 'measured', via: measured.via, detail: measured.detail } };
  return { origin: { from: 'unknown', reason: measured.reason, ...(measured.missing ? { missing: measured.missing } : {}) } };
}

/** ", measured via prometheus: …" or ", given by --error-rate (…)": appended to a reason with the number; "" when not said. */
export function originNote(origin: SignalOrigin | undefined, format: (value: number) => string): string {
  if (!origin || origin.from === 'unknown') return '';
  if (origin.from === 'measured') return `, measured via ${origin.via}: ${origin.detail}`;
  const m = origin.measured;
  return `, given by ${origin.flag} (${m.status === 'measured' ? `${m.via} measured ${format(m.value)}` : `not measured: ${m.reason}`})`;
}

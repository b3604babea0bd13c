import { RewindError } from '../../errors/rewind-error.js';
import type { TrafficWeights } from '../../ports/traffic-router.js';

/** The abort: every new request back on the stable release. */
export const STABLE_ONLY: TrafficWeights = Object.freeze({ stable: 100, canary: 0 });

/**
 * Checks a split before anything is touched: whole percentages 0–100 summing to 100. Whole numbers
 * because nginx and haproxy weights are integers, and a split rewind cannot apply exactly should be
 * refused, not rounded behind the caller's back. Returns a plain copy (extra keys dropped).
 * Throws `REWIND_E_ROUTER_INVALID` naming the field at fault.
 */
export function validateWeights(weights: TrafficWeights): TrafficWeights {
  const value = weights as unknown as Record<string, unknown> | null;
  if (typeof value !== 'object' || value === null) throw invalid('weights must be an object { stable, canary }', weights);
  for (const field of ['stable', 'canary'] as const) {
    const n = value[field];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) {
      throw invalid(`weights.${field} must be a whole percentage 0–100, got ${JSON.stringify(n) ?? String(n)}`, weights);
    }
  }
  const stable = value.stable as number;
  const canary = value.canary as number;
  if (stable + canary !== 100) throw invalid(`weights.stable + weights.canary must be 100, got ${stable} + ${canary} = ${stable + canary}`, weights);
  return { stable, canary };
}

/** Raw proxy weights as percentages of their total, rounded so they still sum to 100. */
export function toPercentages(stableWeight: number, canaryWeight: number): TrafficWeights {
  const total = stableWeight + canaryWeight;
  if (total <= 0) return { stable: 0, canary: 0 };
  const stable = Math.round((stableWeight * 100) / total);
  return { stable, canary: 100 - stable };
}

export function formatWeights(weights: TrafficWeights): string {
  return `stable ${weights.stable} % / canary ${weights.canary} %`;
}

function invalid(message: string, weights: unknown): RewindError {
  return new RewindError('REWIND_E_ROUTER_INVALID', message, { weights });
}

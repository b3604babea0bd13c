import type { ServedProcess, SlotState } from '../../ports/target.js';
import type { TrafficWeights } from '../../ports/traffic-router.js';
import { slotShare } from './slot-choice.js';

/**
 * What serves behind a router: one entry per slot that takes a share of new requests, with the
 * release it holds. Two entries are a split (a canary step, or one cut short); the link names the
 * release all traffic should reach once an operation is done.
 */
export function servedByTraffic(slots: readonly SlotState[], weights: TrafficWeights): ServedProcess[] {
  return slots.flatMap((slot) => {
    const share = slotShare(slots, slot.name, weights);
    return share > 0 ? [{ version: slot.version, where: `slot ${slot.name} (${share} % of traffic)` }] : [];
  });
}

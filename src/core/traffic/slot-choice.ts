import type { SlotState } from '../../ports/target.js';
import { urlOnHost } from '../../util/url-on-host.js';
import type { TrafficWeights } from '../../ports/traffic-router.js';

/**
 * Pure helpers for slotted (blue-green, canary) operations. The router's two backends are the two
 * slots in a fixed order — `stable` is the first slot (blue), `canary` the second (green) — so a
 * "send p % to slot X" becomes weights here, and which release is stable changes per deploy without
 * the router knowing.
 */

/** Weights that send `percent` of new requests to `slot` and the rest to the other one. */
export function weightsForSlot(slots: readonly Pick<SlotState, 'name'>[], slot: string, percent: number): TrafficWeights {
  const index = slots.findIndex((s) => s.name === slot);
  if (index < 0) throw new Error(`unknown slot ${slot}`);
  return index === 0 ? { stable: percent, canary: 100 - percent } : { stable: 100 - percent, canary: percent };
}

/** The share of new requests `slot` gets under `weights`. */
export function slotShare(slots: readonly Pick<SlotState, 'name'>[], slot: string, weights: TrafficWeights): number {
  return slots.findIndex((s) => s.name === slot) === 0 ? weights.stable : weights.canary;
}

/** The slot a running release holds, or undefined. */
export function slotHolding(slots: readonly SlotState[], version: string | null | undefined): SlotState | undefined {
  return version ? slots.find((s) => s.version === version) : undefined;
}

/**
 * Where a new release goes: never onto the slot that serves the running release. The idle slot
 * holds the release before that one (or nothing); on a first deploy, the first slot.
 */
export function idleSlot(slots: readonly SlotState[], running: string | null): SlotState {
  const serving = slotHolding(slots, running);
  return slots.find((s) => s !== serving) ?? slots[0]!;
}

/** `url` sent to one slot directly, not through the router (only a slot with an address: slotAddress). */
export function urlOnSlot(url: string, slot: { host: string; port: number }): string {
  return urlOnHost(url, slot.host, slot.port);
}

/**
 * A slot's own address, or undefined for a slot that has none (an ECS service behind its target
 * group): then nothing probes it directly and the router's health check of the slot is the gate.
 */
export function slotAddress(slot: Pick<SlotState, 'host' | 'port'>): { host: string; port: number } | undefined {
  return slot.host !== undefined && slot.port !== undefined ? { host: slot.host, port: slot.port } : undefined;
}

/** ` (host:port)` for titles and effects, or nothing for a slot without an address. */
export function slotWhere(slot: Pick<SlotState, 'host' | 'port'>): string {
  const address = slotAddress(slot);
  return address ? ` (${address.host}:${address.port})` : '';
}

import type { SlotState } from '../../ports/target.js';

/**
 * Where a slotted target starts `version` outside blue-green steps (a restore starting the app
 * again): the slot that holds it, else one that does not hold the current release, else the first.
 * Shared by the slotted targets (releases directories, ECS services), which must agree on it.
 */
export function slotForRestart(slots: readonly SlotState[], version: string, current: string | null): SlotState {
  return slots.find((s) => s.version === version) ?? slots.find((s) => s.version !== current) ?? slots[0]!;
}

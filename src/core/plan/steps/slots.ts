import type { EnvironmentConfig } from '../../../config/config-schema.js';
import type { ReleaseRecord } from '../../../ports/ledger.js';
import type { SlotState, Target } from '../../../ports/target.js';
import type { PlanStep } from '../../plan.js';
import { healthStep } from './checks.js';
import { step } from './step.js';
import { idleSlot, slotAddress, slotHolding, slotWhere } from '../../traffic/slot-choice.js';

/**
 * The blue-green and canary parts of deploy and rollback plans (pure). A deploy boots the new
 * release on the idle slot and probes it there while the other slot keeps serving — a failure up to
 * that point changed nothing anyone is served — then moves traffic: all at once (blue-green) or in
 * steps judged by the analysis (canary). A rollback to a release that is still warm on its slot is
 * only the traffic switch back.
 */

type SlotTarget = Pick<Target, 'describeStartOnSlot'>;

const slotParams = (slot: SlotState) => ({ name: slot.name, ...slotAddress(slot) });

/**
 * The probe of `version` on the slot's own address before traffic reaches it. A slot without one
 * (an ECS service) gets none: the router checks its target group's health before it switches.
 */
function slotHealthSteps(config: EnvironmentConfig, version: string, phase: PlanStep['phase'], slot: SlotState): PlanStep[] {
  const address = slotAddress(slot);
  return config.health && address ? [healthStep('slot-health', config, version, phase, { ...slot, ...address })] : [];
}

function startSlotStep(target: SlotTarget, slot: SlotState, version: string, phase: PlanStep['phase']): PlanStep {
  const described = target.describeStartOnSlot?.(slot.name, version);
  return step({
    id: 'start-slot',
    kind: 'start-slot',
    phase,
    title: `run ${version} on slot ${slot.name}${slotWhere(slot)}${slot.version && slot.version !== version ? `, replacing ${slot.version}` : ''}`,
    params: { version, slot: slotParams(slot) },
    commands: described?.commands ?? [],
    effects: described?.effects ?? [],
  });
}

/**
 * `order` is the slots in the router's backend order, recorded in the plan so the switch itself
 * computes its weights without asking the target anything (it sits on the rollback's critical path).
 */
export function shiftStep(id: string, version: string, slot: SlotState, percent: number, mode: 'deploy' | 'rollback', router: string, order: string[]): PlanStep {
  return step({
    id,
    kind: 'shift-traffic',
    phase: 'change',
    title: percent === 100 ? `all traffic to ${version} on slot ${slot.name}` : `${percent} % of traffic to ${version} on slot ${slot.name}`,
    params: { version, slot: slotParams(slot), percent, mode, order },
    effects: [
      `${router}: ${percent} % of new requests to slot ${slot.name}${slotWhere(slot)}, ${100 - percent} % to the other slot`,
      ...(percent === 100 ? [`then ${version} is the current release`] : []),
    ],
  });
}

export interface SlotDeployInput {
  config: EnvironmentConfig;
  target: SlotTarget;
  release: ReleaseRecord;
  current: ReleaseRecord | null;
  slots: SlotState[];
}

/** From "boot on the idle slot" to "all traffic on the new release". */
export function slotDeploySteps(input: SlotDeployInput): { steps: PlanStep[]; notes: string[] } {
  const { config, release, current, slots } = input;
  const traffic = config.traffic!;
  const router = traffic.router.type;
  const order = slots.map((s) => s.name);
  const slot = idleSlot(slots, current?.version ?? null);
  const stable = slotHolding(slots, current?.version);
  const notes = [`${traffic.strategy}: ${release.version} boots on slot ${slot.name} while ${stable ? `${current!.version} keeps serving on slot ${stable.name}` : 'nothing else serves'}`];
  const steps: PlanStep[] = [startSlotStep(input.target, slot, release.version, 'preflight')];
  // Probed on its own port before any user reaches it: a failure here changed nothing that serves.
  steps.push(...slotHealthSteps(config, release.version, 'preflight', slot));
  if (config.health && !slotAddress(slot)) notes.push(`slot ${slot.name} has no address of its own to probe: ${router} checks that every target of its target group is healthy before it switches`);
  const canary = traffic.strategy === 'canary' && stable !== undefined;
  if (traffic.strategy === 'canary' && !stable) notes.push('canary: no release serves on the other slot to compare with, so traffic moves at once (as blue-green)');
  if (canary) {
    const { steps: weights, measurements } = traffic.canary;
    for (const percent of weights) {
      steps.push(shiftStep(`shift-${percent}`, release.version, slot, percent, 'deploy', router, order));
      steps.push(
        step({
          id: `canary-${percent}`,
          kind: 'canary-analysis',
          phase: 'verify',
          title: `judge ${release.version} at ${percent} % against ${current!.version}`,
          params: { version: release.version, percent, measurements, slot: slotParams(slot), stable: { ...slotParams(stable!), version: current!.version }, order },
          effects: [
            `${measurements} measurement(s) every ${config.watch!.intervalMs / 1000} s through ${config.watch!.source.type}, of slot ${slot.name} and of slot ${stable!.name}`,
            `error rate > ${config.watch!.errorRateThreshold * 100} % or p95 > ${config.watch!.latencyFactor} × baseline fails; then canary against stable: Fisher's exact test on errors, Mann-Whitney U on latency`,
            'failed: abort — all traffic back to the stable slot at once (the rollback); no data: all traffic back to stable, the release is not promoted, a human decides',
          ],
        }),
      );
    }
    notes.push(`canary: ${[...weights, 100].map((w) => `${w} %`).join(' → ')}, judged for ${measurements} measurement(s) at each step`);
  }
  steps.push(shiftStep(canary ? 'shift-100' : 'switch-traffic', release.version, slot, 100, 'deploy', router, order));
  if (stable) notes.push(`${current!.version} stays warm on slot ${stable.name}: rolling back is a traffic switch`);
  return { steps, notes };
}

export interface SlotRollbackInput {
  config: EnvironmentConfig;
  target: SlotTarget;
  from: ReleaseRecord | null;
  to: ReleaseRecord;
  slots: SlotState[];
  /** The app was stopped (a database restore): the slot is started again even if it holds `to`. */
  restart: boolean;
}

/**
 * Back to `to`: only a traffic switch when it is warm on its slot; else boot it on the idle slot
 * first. `unpack` says whether the release must be unpacked (before any database step, so a missing
 * artifact stops the rollback before the database is touched); `steps` come after the database.
 */
export function slotRollbackSteps(input: SlotRollbackInput): { unpack: boolean; steps: PlanStep[]; notes: string[] } {
  const { config, to, slots } = input;
  const router = config.traffic!.router.type;
  const order = slots.map((s) => s.name);
  const holding = slotHolding(slots, to.version);
  if (holding !== undefined && holding.online && !input.restart) {
    return { unpack: false, steps: [shiftStep('switch-traffic', to.version, holding, 100, 'rollback', router, order)], notes: [`${to.version} is warm on slot ${holding.name}: the rollback is a traffic switch, not a boot`] };
  }
  const slot = holding ?? idleSlot(slots, input.from?.version ?? null);
  const steps = [startSlotStep(input.target, slot, to.version, 'change')];
  steps.push(...slotHealthSteps(config, to.version, 'change', slot));
  steps.push(shiftStep('switch-traffic', to.version, slot, 100, 'rollback', router, order));
  const why = input.restart ? 'the app is stopped for the restore' : holding ? `slot ${holding.name} holds it but is not running` : 'no slot holds it';
  return { unpack: true, steps, notes: [`${to.version} is booted on slot ${slot.name} (${why}), probed there, then gets all traffic`] };
}

import type { ActionDescription } from '../../../ports/target.js';
import type { EnvironmentObservation } from '../../environment-agreement.js';
import type { PlanStep } from '../../plan.js';
import type { RepairChoice } from '../../repair-choice.js';
import { step } from './step.js';

/** Step builders for `rewind repair` (plain data, no I/O). */

/** Brings the link and the processes to `choice.version`; `activate` is the target's description when it restarts. */
export function reconcileStep(choice: RepairChoice, observation: EnvironmentObservation, activate: ActionDescription | undefined): PlanStep {
  const title = {
    activate: `activate ${choice.version} again on every process`,
    relink: `point the current link at ${choice.version} (it already serves; nothing restarts)`,
    record: `the target already runs ${choice.version}`,
  }[choice.action];
  return step({ id: 'reconcile', kind: 'reconcile', phase: 'change', title, params: { version: choice.version, action: choice.action, observed: observation }, commands: activate?.commands ?? [], effects: [...(activate?.effects ?? []), 'then check that the link and every process name the same release'] });
}

export function recordCurrentStep(version: string, previous: string | null): PlanStep {
  return step({ id: 'record-current', kind: 'record-current', phase: 'finalize', title: `record ${version} as current in the ledger`, params: { version, previous }, effects: [`a release left "deploying" becomes live (serving) or failed (not serving)`] });
}

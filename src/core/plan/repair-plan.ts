import type { EnvironmentConfig } from '../../config/config-schema.js';
import type { EnvironmentObservation } from '../environment-agreement.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanStep } from '../plan.js';
import type { RepairChoice } from '../repair-choice.js';
import { healthStep } from './steps/checks.js';
import { reconcileStep, recordCurrentStep } from './steps/repair.js';
import type { TargetDescriber } from './target-describer.js';

export interface RepairPlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  observation: EnvironmentObservation;
  problems: string[];
  choice: RepairChoice;
  reason: string;
}

/** `rewind repair`: make the link and the ledger agree with what serves (or one release serve everywhere), then probe it. Pure. */
export function planRepair(input: RepairPlanInput): Plan {
  const { config, choice, observation, target } = input;
  const activate = choice.action === 'activate' ? target.describeActivate(choice.version) : undefined;
  const steps: PlanStep[] = [
    reconcileStep(choice, observation, activate),
    recordCurrentStep(choice.version, observation.ledger),
    ...(config.health ? [healthStep('health', config, choice.version, 'verify')] : []),
  ];
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'repair',
    env: input.env,
    from: observation.ledger,
    to: choice.version,
    notes: [...input.problems.map((p) => `found: ${p}`), `decision: ${choice.why}`, `reason: ${input.reason}`],
    reason: input.reason,
    steps,
  };
}

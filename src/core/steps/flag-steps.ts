import { restoreReleaseFlags, turnOffRolledBackFlags } from '../flags/release-flags.js';
import type { StepExecutor } from './step-context.js';

export const flagsOff: StepExecutor = (step, context) =>
  turnOffRolledBackFlags(context.services, context.config, context.env, step.params.version as string, step.params.flags as string[], context.operation.id);

export const flagsRestore: StepExecutor = (step, context) => restoreReleaseFlags(context.services, context.config, context.env, step.params.version as string, context.operation.id);

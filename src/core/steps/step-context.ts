import type { EnvironmentConfig } from '../../config/config-schema.js';
import type { Ledger, OperationRecord } from '../../ports/ledger.js';
import type { Outcome } from '../../ports/outcome.js';
import type { ProgressReporter } from '../../ports/step-progress.js';
import type { Target } from '../../ports/target.js';
import type { PlanStep } from '../plan.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';

/** Everything a step may touch. Adapters arrive through ports; steps import no adapter. */
export interface StepContext extends ResolvedEnvironment {
  env: string;
  config: EnvironmentConfig;
  ledger: Ledger;
  target: Target;
  operation: OperationRecord;
  now: () => number;
  /** Probes the configured health check for `version`, telling `progress` about each retried attempt. */
  probeHealth: (version: string, progress?: ProgressReporter) => Promise<Outcome>;
  /**
   * Set by the runner for the step it runs: news while the step runs (`step_progress`, live views
   * only). Absent outside a step.
   */
  progress?: ProgressReporter;
  /** The ports behind this operation (database engine, executor, event sink), for steps that need more than the above. */
  services: Services;
}

/** Runs one kind of step. Must be idempotent: after a crash the runner calls it again. */
export type StepExecutor = (step: PlanStep, context: StepContext) => Promise<Outcome>;

import { RewindError } from '../../errors/rewind-error.js';
import type { Target } from '../../ports/target.js';
import { requireDatabase } from '../database/database-backup.js';
import { findDownTarget } from '../database/database-down.js';
import type { Plan } from '../plan.js';
import { planDown } from '../plan/down-plan.js';
import { lookUpEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { executeDatabaseOperation } from './database-operation.js';
import { runPlannedOperation, type OperationOutcome } from './operation-lifecycle.js';
import { currentRelease, describeBackup } from './plan-inputs.js';

export interface DownOptions {
  dryRun?: boolean;
  reason?: string;
}

/**
 * Reverts exactly one migration, the newest applied (seed 003): its down SQL and the lint's
 * data-loss findings are in the plan, a safety backup is taken first, and the history table is
 * checked afterwards. The app keeps running; its code is rolled back separately.
 */
export async function migrateDown(services: Services, env: string, options: DownOptions = {}): Promise<OperationOutcome> {
  const environment = lookUpEnvironment(services.config, env);
  requireDatabase(env, environment.config);
  await services.ledger.ensureEnvironment(env, services.now());
  const build = async (target: Target): Promise<Plan> => {
    const current = await currentRelease(services, env);
    if (!current) throw new RewindError('REWIND_E_NOTHING_TO_DO', `nothing is deployed to ${env}: no release whose migrations to revert`, { env });
    const down = await findDownTarget(services, environment, current, target);
    return planDown({ env, current, down, safetyBackup: describeBackup(services, environment, 'safety', current.version), reason: options.reason ?? `requested by ${services.actor}` });
  };
  return runPlannedOperation(services, environment, options.dryRun, build, (plan, operation) => ({ event: 'down_start', env, operationId: operation.id, migration: String(plan.steps.at(-1)!.params.migration), release: plan.from }), executeDatabaseOperation);
}

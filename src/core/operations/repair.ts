import { RewindError } from '../../errors/rewind-error.js';
import type { OperationRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { judgeAgreement } from '../environment-agreement.js';
import { failpoint } from '../failpoints.js';
import type { Plan } from '../plan.js';
import { planRepair } from '../plan/repair-plan.js';
import { chooseRepair } from '../repair-choice.js';
import { lookUpEnvironment, type ResolvedEnvironment } from '../resolved-environment.js';
import { runPlan } from '../run/runner.js';
import type { Services } from '../services.js';
import { activeDurationMs, interrupted, observeEnvironment, runPlannedOperation, stepContext, type OperationOutcome } from './operation-lifecycle.js';

export interface RepairOptions {
  dryRun?: boolean;
  reason?: string;
}

/**
 * Makes the ledger, the target's link and the serving processes agree again, from what really
 * serves (repair-choice.ts), journaled and audited like any operation. Refuses while an operation is
 * unfinished (resume it first) and when everything already agrees.
 */
export async function repair(services: Services, env: string, options: RepairOptions = {}): Promise<OperationOutcome> {
  const environment = lookUpEnvironment(services.config, env);
  const { config } = environment;
  await services.ledger.ensureEnvironment(env, services.now());
  const build = async (target: Target): Promise<Plan> => {
    const observation = await observeEnvironment(services, environment, target);
    const agreement = judgeAgreement(observation);
    if (agreement.agree) {
      throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} is consistent: the ledger, the link and the processes all name ${observation.ledger ?? 'nothing'}`, { env, version: observation.ledger });
    }
    const choice = chooseRepair(observation, agreement);
    if (!choice) throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} has nothing deployed to reconcile: ${agreement.problems.join('; ')}`, { env });
    return planRepair({ env, config, target, observation, problems: agreement.problems, choice, reason: options.reason ?? `requested by ${services.actor}` });
  };
  const found = (plan: Plan) => plan.notes.filter((n) => n.startsWith('found: ')).map((n) => n.slice('found: '.length));
  return runPlannedOperation(services, environment, options.dryRun, build, (plan, operation) => ({ event: 'repair_start', env, operationId: operation.id, from: plan.from, to: plan.to, reason: plan.reason, found: found(plan) }), executeRepair);
}

export async function executeRepair(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint('repair:operation:created');
  const result = await runPlan(plan, stepContext(services, environment, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, environment, target, plan, operation, result);
  failpoint('repair:operation:ran');
  const failure = result.ok ? null : `${result.failedStep!.id}: ${result.outcome!.message}`;
  await services.ledger.finishOperation(operation.id, result.ok ? 'succeeded' : 'failed', failure, services.now());
  await services.sink.emit({ event: 'repair_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: result.ok, durationMs: await activeDurationMs(services, operation, resumedAt), ...(failure ? { error: failure } : {}) });
  if (result.ok) return { plan, operation, ok: true };
  const code = result.outcome!.code ?? (result.failedStep!.kind === 'health' ? 'REWIND_E_DEPLOY_FAILED' : 'REWIND_E_ROLLBACK_FAILED');
  return { plan, operation, ok: false, error: new RewindError(code, `repair of ${env} (→ ${plan.to}) failed at ${failure}`, { env, operationId: operation.id }) };
}

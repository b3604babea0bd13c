import { RewindError } from '../../errors/rewind-error.js';
import type { OperationRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { failpoint } from '../failpoints.js';
import type { Plan } from '../plan.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import { runPlan } from '../run/runner.js';
import type { Services } from '../services.js';
import { activeDurationMs, interrupted, stepContext, type OperationOutcome } from './operation-lifecycle.js';
import { preflightStop } from './preflight-stop.js';
import { restartAppStoppedForNothing } from './restart-stopped-app.js';

/** Runs a restore or a down operation and reports it (`restore_complete` / `down_complete`). */
export async function executeDatabaseOperation(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint(`${plan.kind}:operation:created`);
  const result = await runPlan(plan, stepContext(services, environment, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, environment, target, plan, operation, result);
  failpoint(`${plan.kind}:operation:ran`);
  const undone = !result.ok && result.changed ? await restartAppStoppedForNothing(services, environment, target, operation, result.failedStep!.id) : '';
  const failure = result.ok ? null : `${result.failedStep!.id}: ${result.outcome!.message}${undone}`;
  await services.ledger.finishOperation(operation.id, result.ok ? 'succeeded' : 'failed', failure, services.now());
  await services.sink.emit({
    event: plan.kind === 'down' ? 'down_complete' : 'restore_complete',
    env,
    operationId: operation.id,
    backupId: plan.database?.backupId,
    success: result.ok,
    durationMs: await activeDurationMs(services, operation, resumedAt),
    ...(failure ? { error: failure } : {}),
  });
  if (result.ok) return { plan, operation, ok: true };
  if (!result.changed) return { plan, operation, ok: false, error: preflightStop(`${plan.kind} stopped before anything was touched`, result, { env, operationId: operation.id }) };
  const code = result.outcome!.code ?? (plan.kind === 'down' ? 'REWIND_E_MIGRATION_FAILED' : 'REWIND_E_RESTORE_FAILED');
  return { plan, operation, ok: false, error: new RewindError(code, `${plan.kind} failed at ${failure}`, { env, operationId: operation.id }) };
}

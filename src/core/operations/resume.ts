import { RewindError } from '../../errors/rewind-error.js';
import type { OperationRecord, ReleaseRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { judgeAgreement } from '../environment-agreement.js';
import { drillMark, type Plan } from '../plan.js';
import { chooseRepair } from '../repair-choice.js';
import { lookUpEnvironment, type ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { executeDatabaseOperation } from './database-operation.js';
import { executeDeploy } from './deploy.js';
import { activeDurationMs, observeEnvironment, withEnvironment, type OperationOutcome } from './operation-lifecycle.js';
import { executeRepair } from './repair.js';
import { executeRollback } from './rollback.js';

export interface ResumeOptions {
  abandon?: boolean;
}

/**
 * Continues the unfinished operation of an environment from its journal, or abandons it
 * (`abandon`), recording what the target actually runs. Takes over a lock whose holder is gone.
 */
export async function resume(services: Services, env: string, options: ResumeOptions = {}): Promise<OperationOutcome[]> {
  const environment = lookUpEnvironment(services.config, env);
  const pending = await services.ledger.findRunningOperations(env);
  if (pending.length === 0) throw new RewindError('REWIND_E_NOTHING_TO_RESUME', `${env} has no unfinished operation`, { env });
  return withEnvironment(services, environment, async (target, lock) => {
    const outcomes: OperationOutcome[] = [];
    const running = await services.ledger.findRunningOperations(env);
    for (const operation of running) {
      const plan = operation.plan as Plan;
      await lock.attach(operation.id);
      if (options.abandon) {
        outcomes.push(await abandon(services, environment, target, operation));
        continue;
      }
      const child = running.find((other) => other.parentId === operation.id);
      if (operation.kind === 'deploy' && child) {
        // The deploy had already failed and handed over to its rollback; finish the deploy and let the loop resume the child.
        const closedAt = services.now();
        await services.ledger.finishOperation(operation.id, 'failed', child.reason, closedAt);
        // Its active time: start to its last journaled step. It does no more work now, so the resume
        // adds nothing: one instant for both ends, or a millisecond tick between two reads would count.
        const durationMs = await activeDurationMs(services, operation, closedAt, closedAt);
        await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: false, durationMs, error: child.reason, resumed: true });
        continue;
      }
      const resumedAt = services.now();
      const execute = {
        deploy: () => executeDeploy(services, environment, target, plan, operation, lock, resumedAt),
        rollback: () => executeRollback(services, environment, target, plan, operation, resumedAt),
        restore: () => executeDatabaseOperation(services, environment, target, plan, operation, resumedAt),
        down: () => executeDatabaseOperation(services, environment, target, plan, operation, resumedAt),
        repair: () => executeRepair(services, environment, target, plan, operation, resumedAt),
      };
      // The kind comes from the ledger row: an own property, checked before anything is recorded.
      if (!Object.hasOwn(execute, operation.kind)) throw new RewindError('REWIND_E_LEDGER', `operation ${operation.id} on ${env} has kind ${JSON.stringify(operation.kind)}, which rewind cannot resume`, { env, operationId: operation.id, kind: operation.kind });
      await services.sink.emit({ event: 'operation_resumed', env, operationId: operation.id, kind: operation.kind, from: plan.from, to: plan.to });
      const outcome = await execute[operation.kind]();
      outcomes.push(outcome);
      // Stopped by a signal: leave the rest for the next resume.
      if (outcome.interrupted) break;
    }
    return outcomes;
  });
}

/**
 * Gives up on an unfinished operation without touching what serves: the step that was in flight is
 * closed as abandoned, the link and the ledger are brought to what really serves when that needs
 * no restart (a reload cut short across processes does: `rewind repair` then), and no release is
 * left in a passing state — a release of the operation that serves is `live` (running, not judged),
 * one that does not is `failed`, one rolled back from is `rolled-back`; the release the operation
 * activated keeps the good verdict it had when the operation was planned (`good` if it serves).
 */
async function abandon(services: Services, environment: ResolvedEnvironment, target: Target, operation: OperationRecord): Promise<OperationOutcome> {
  const { env } = operation;
  const plan = operation.plan as Plan;
  const at = services.now();
  for (const step of await services.ledger.listSteps(operation.id)) {
    if (step.state === 'running') await services.ledger.finishStep(operation.id, step.index, 'abandoned', { ...(step.detail as object), message: `abandoned by ${services.actor}` }, at);
  }
  const observation = await observeEnvironment(services, environment, target);
  const agreement = judgeAgreement(observation);
  const choice = agreement.agree ? null : chooseRepair(observation, agreement);
  let current = observation.link;
  if (choice && choice.action !== 'activate') {
    if (choice.action === 'relink' && target.markActive) await target.markActive(choice.version);
    current = choice.version;
  }
  await services.ledger.setCurrentVersion(env, current, at);
  const settle = async (version: string | null, next: (state: ReleaseRecord['state']) => ReleaseRecord['state'] | null) => {
    const release = version ? await services.ledger.getRelease(env, version) : undefined;
    const state = release ? next(release.state) : null;
    if (release && state && state !== release.state) await services.ledger.setReleaseState(env, release.version, state, at);
  };
  if (plan.kind === 'rollback') {
    await settle(plan.from, (state) => (current !== plan.from && ['live', 'good', 'deploying', 'superseded'].includes(state) ? 'rolled-back' : null));
  }
  // Activation made `to` deploying or live, but a switch is no verdict: a release that was known good
  // when the operation was planned gets its verdict back — good if it serves, as it was if not — so it
  // stays a candidate LKG (left `live`, no later deploy superseded it and it was lost: issue 12).
  const before = plan.toState;
  if (before === 'good' || before === 'superseded') {
    await settle(plan.to, (state) => (state === 'deploying' || state === 'live' ? (plan.to === current ? 'good' : before) : null));
  }
  // Whatever the kind, nothing stays `deploying`: it runs (live) or it does not (failed).
  for (const release of await services.ledger.listReleases(env)) {
    if (release.state === 'deploying') await settle(release.version, () => (release.version === current ? 'live' : 'failed'));
  }
  if (plan.kind === 'deploy') await settle(plan.to, (state) => (state === 'live' && plan.to !== current ? 'failed' : null));
  const after = judgeAgreement({ ...observation, ledger: current, link: await target.activeVersion() });
  await services.ledger.finishOperation(operation.id, 'abandoned', `abandoned by ${services.actor}; target runs ${current ?? 'nothing'}`, at);
  await services.sink.emit({ event: 'operation_abandoned', env, operationId: operation.id, kind: operation.kind, from: plan.from, to: plan.to, active: current, served: after.served, problems: after.problems });
  return { plan, operation, ok: true, problems: after.problems };
}

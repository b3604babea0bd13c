import { flagsToRestore, flagsToTurnOff } from '../flags/release-flags.js';
import { ciCheckedEvent, ciNote, gateOnCi, hasCiGate } from '../ci/ci-gate.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { OperationRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { parseVersion } from '../../util/semver.js';
import { failpoint } from '../failpoints.js';
import type { HeldLock } from '../lock-manager.js';
import { drillMark, type Plan } from '../plan.js';
import { planDeploy } from '../plan/deploy-plan.js';
import { planRollback } from '../plan/rollback-plan.js';
import { lookUpEnvironment, type ResolvedEnvironment } from '../resolved-environment.js';
import { runPlan } from '../run/runner.js';
import type { Services } from '../services.js';
import { storedCopy } from '../stored-artifacts.js';
import { activeDurationMs, createOperation, interrupted, planOnly, refuseIfInterrupted, stepContext, withEnvironment, type OperationOutcome } from './operation-lifecycle.js';
import { currentRelease, databaseDecision, describeBackup, requireRelease, slotsOf, stateDecision } from './plan-inputs.js';
import { preflightStop } from './preflight-stop.js';
import { startRollback } from './rollback.js';

export interface DeployOptions {
  dryRun?: boolean;
  baseline?: boolean;
  autoRollback?: boolean;
  allowUntested?: boolean;
  /** Deploy a breaking migration that has no down migration (seed 000 preflight 3 refuses it otherwise). */
  allowBreaking?: boolean;
}

async function buildDeployPlan(services: Services, environment: ResolvedEnvironment, version: string, target: Target, options: DeployOptions): Promise<Plan> {
  const { env, config } = environment;
  const release = await requireRelease(services, env, version);
  // With a ci: gate the CI system's answer now decides (pending is not passed); without, the --ci recorded at register.
  const ci = await gateOnCi(services, environment, release, 'deploy', options.allowUntested ?? false);
  if (!hasCiGate(environment) && release.ci === 'failed' && !options.allowUntested) {
    throw new RewindError('REWIND_E_RELEASE_UNTESTED', `release ${version} failed CI`, { env, version, ci: release.ci });
  }
  const current = await currentRelease(services, env);
  if (current?.version === version && current.state === 'good') {
    throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} already runs ${version} and it is good`, { env, version });
  }
  const lkg = (await services.ledger.findLastKnownGood(env, version)) ?? null;
  const plan = planDeploy({
    env,
    config,
    target,
    release,
    stored: await storedCopy(services, release),
    current,
    lkg,
    options: { baseline: options.baseline, autoRollback: options.autoRollback, allowBreaking: options.allowBreaking },
    backup: config.database ? describeBackup(services, environment, 'pre-upgrade', current?.version ?? null) : undefined,
    slots: await slotsOf(target, config),
    flags: await flagsToRestore(services, config, env, release.version),
  });
  return ci ? { ...plan, ci, notes: [...plan.notes, ciNote(ci)] } : plan;
}

/** Ships a release: preflight, unpack, activate, verify, mark good; rolls back by itself on failure. */
export async function deploy(services: Services, env: string, versionInput: string, options: DeployOptions = {}): Promise<OperationOutcome> {
  const version = parseVersion(versionInput);
  const environment = lookUpEnvironment(services.config, env);
  await services.ledger.ensureEnvironment(env, services.now());
  if (options.dryRun) return planOnly(services, environment, (target) => buildDeployPlan(services, environment, version, target, options));
  return withEnvironment(services, environment, async (target, lock) => {
    await refuseIfInterrupted(services, env);
    const plan = await buildDeployPlan(services, environment, version, target, options);
    const operation = await createOperation(services, plan, null, null);
    await lock.attach(operation.id);
    await services.sink.emit({ event: 'deploy_start', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill) });
    if (plan.ci) await services.sink.emit(ciCheckedEvent(env, 'deploy', plan.ci, operation.id));
    return executeDeploy(services, environment, target, plan, operation, lock);
  });
}

export async function executeDeploy(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord, lock: HeldLock, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint('deploy:operation:created');
  const result = await runPlan(plan, stepContext(services, environment, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, environment, target, plan, operation, result);
  failpoint('deploy:operation:ran');
  const durationMs = await activeDurationMs(services, operation, resumedAt);
  if (result.ok) {
    await services.ledger.finishOperation(operation.id, 'succeeded', null, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: true, durationMs });
    return { plan, operation, ok: true };
  }
  const failure = `${result.failedStep!.id}: ${result.outcome!.message}`;
  if (!result.changed) {
    // Nothing that serves was touched: the release keeps its state, the environment runs what it ran.
    await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: false, durationMs, stage: 'preflight', error: failure });
    return { plan, operation, ok: false, error: preflightStop(`deploy of ${plan.to} stopped before activation — nothing changed —`, result, { env, operationId: operation.id }) };
  }

  const pausable = result.failedStep!.kind === 'watch' || result.failedStep!.kind === 'canary-analysis';
  if (pausable && result.outcome!.status !== 'failed') {
    // Missing data is not evidence against the release: leave it live (not good) and tell a human.
    // A paused canary has already sent all traffic back to the stable release (its step did).
    const where = result.failedStep!.kind === 'watch' ? `${plan.to} is live but not marked good` : `${plan.to} was not promoted and ${plan.from ?? 'the stable release'} serves`;
    await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: false, durationMs, paused: true, error: failure });
    return { plan, operation, ok: false, error: new RewindError('REWIND_E_WATCH_PAUSED', `deploy of ${plan.to} paused at ${failure}; ${where}`, { env, operationId: operation.id }) };
  }
  await services.ledger.setReleaseState(env, plan.to, 'failed', services.now());
  const lkg = plan.rollbackTo ? await services.ledger.getRelease(env, plan.rollbackTo) : undefined;
  if (!lkg) {
    await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: false, durationMs, error: failure });
    return { plan, operation, ok: false, error: new RewindError('REWIND_E_DEPLOY_FAILED', `deploy of ${plan.to} failed at ${failure}; no automatic rollback (${plan.notes.at(-1)})`, { env, operationId: operation.id }) };
  }
  const failedRelease = (await services.ledger.getRelease(env, plan.to)) ?? null;
  const database = await databaseDecision(services, environment, failedRelease, lkg);
  if (database?.mode === 'freeze') {
    // Rolling the code back onto a schema it cannot use would make things worse: stop and tell a human.
    const why = `deploy of ${plan.to} failed at ${failure}; automatic rollback refused: ${database.reasons.join('; ')}`;
    await services.sink.emit({ event: 'rollback_refused', env, operationId: operation.id, from: plan.to, to: lkg.version, trigger: 'automatic', mode: database.mode, reasons: database.reasons });
    await services.ledger.finishOperation(operation.id, 'failed', why, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: false, durationMs, error: why });
    return { plan, operation, ok: false, error: new RewindError('REWIND_E_DEPLOY_FAILED', why, { env, operationId: operation.id }) };
  }
  const rollbackPlan = planRollback({
    env,
    config: environment.config,
    target,
    from: failedRelease,
    to: lkg,
    stored: await storedCopy(services, lkg),
    reason: `deploy of ${plan.to} failed at ${failure}`,
    automatic: true,
    database,
    safetyBackup: database?.mode === 'restore' ? describeBackup(services, environment, 'safety', plan.to) : undefined,
    slots: await slotsOf(target, environment.config),
    state: await stateDecision(services, environment, lkg, database),
    flags: await flagsToTurnOff(services, environment.config, env, failedRelease?.version),
  });
  // The rollback operation exists before the deploy is closed, so a crash in between leaves it to resume.
  const rollbackOperation = await createOperation(services, rollbackPlan, operation.id, rollbackPlan.reason ?? null);
  await lock.attach(rollbackOperation.id);
  failpoint('deploy:operation:handover');
  await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
  await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(plan.drill), success: false, durationMs, error: failure });
  const rollback = await startRollback(services, environment, target, rollbackPlan, rollbackOperation);
  const error = rollback.ok
    ? new RewindError('REWIND_E_DEPLOY_ROLLED_BACK', `deploy of ${plan.to} failed at ${failure}; rolled back to ${lkg.version}, which serves again`, { env, operationId: operation.id, rollbackOperationId: rollbackOperation.id })
    : rollback.error!.code === 'REWIND_E_PREFLIGHT_FAILED'
      ? // The deploy did change things: its rollback stopping in preflight leaves the failed release in place (exit 8), never "nothing changed".
        new RewindError('REWIND_E_DEPLOY_FAILED', `deploy of ${plan.to} failed at ${failure}; not rolled back: ${rollback.error!.message}`, { ...rollback.error!.details, operationId: operation.id, rollbackOperationId: rollbackOperation.id })
      : rollback.error!;
  return { plan, operation, ok: false, error, rollback };
}

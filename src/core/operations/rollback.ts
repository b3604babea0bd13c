import { RewindError } from '../../errors/rewind-error.js';
import type { OperationRecord, ReleaseRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { parseVersion } from '../../util/semver.js';
import { ciCheckedEvent, ciNote, gateOnCi, hasCiGate } from '../ci/ci-gate.js';
import { findDownTarget, type DownTarget } from '../database/database-down.js';
import type { DatabaseOverride } from '../database/database-rollback-decision.js';
import { failpoint } from '../failpoints.js';
import { flagsToTurnOff } from '../flags/release-flags.js';
import { incidentAtEnd, incidentAtStart, recordIncident } from '../incidents/record-incident.js';
import { drillMark, type Plan } from '../plan.js';
import { planRollback } from '../plan/rollback-plan.js';
import { lookUpEnvironment, type ResolvedEnvironment } from '../resolved-environment.js';
import { runPlan } from '../run/runner.js';
import type { Services } from '../services.js';
import { storedCopy } from '../stored-artifacts.js';
import { activeDurationMs, createOperation, interrupted, planOnly, refuseIfInterrupted, stepContext, withEnvironment, type OperationOutcome } from './operation-lifecycle.js';
import { currentRelease, databaseDecision, describeBackup, requireRelease, slotsOf, stateDecision } from './plan-inputs.js';
import { preflightStop } from './preflight-stop.js';
import { restartAppStoppedForNothing } from './restart-stopped-app.js';

export interface RollbackOptions {
  to?: string;
  dryRun?: boolean;
  allowUntested?: boolean;
  force?: boolean;
  reason?: string;
  /** Override the database plan: restore the pre-upgrade backup, or skip the database (audited). */
  db?: DatabaseOverride;
  /** Watch the restored release this long after the rollback (`--watch`); null: no watch even when configured. */
  watchMs?: number | null;
}

/** Announces a rollback (and what it does to the database) and runs it; also the hand-over from a failed deploy. */
export async function startRollback(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord): Promise<OperationOutcome> {
  const automatic = plan.automatic ?? false;
  const trigger = automatic ? 'automatic' : 'manual';
  const drill = await rollsBackDrill(services, plan);
  const incident = drill ? {} : await incidentAtStart(services, plan, operation);
  await services.sink.emit({ event: 'rollback_start', env: plan.env, operationId: operation.id, from: plan.from, to: plan.to, ...drillMark(drill), automatic, trigger, reason: plan.reason, ...incident });
  if (plan.ci) await services.sink.emit(ciCheckedEvent(plan.env, 'rollback', plan.ci, operation.id));
  if (plan.database) {
    // What the rollback does to the database, and why, belongs in the audit log, not only in --dry-run.
    await services.sink.emit({ event: 'rollback_database_decision', env: plan.env, operationId: operation.id, from: plan.from, to: plan.to, trigger, ...plan.database });
  }
  return executeRollback(services, environment, target, plan, operation);
}

export async function executeRollback(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  return runRollback(services, environment, target, plan, operation, resumedAt);
}

/**
 * Whether the release rolled back from is a drill release (`rewind drill`): the plan says so; a plan
 * stored by an older rewind (resumed) does not have the mark, so the ledger is asked then.
 */
async function rollsBackDrill(services: Services, plan: Plan): Promise<boolean> {
  if (plan.drill) return true;
  return plan.from !== null && (await services.ledger.getRelease(plan.env, plan.from))?.drill === true;
}

async function runRollback(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint('rollback:operation:created');
  const result = await runPlan(plan, stepContext(services, environment, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, environment, target, plan, operation, result);
  failpoint('rollback:operation:ran');
  const undone = !result.ok && result.changed ? await restartAppStoppedForNothing(services, environment, target, operation, result.failedStep!.id) : '';
  // The post-rollback watch runs after rollback-complete: the switch back stands, but service is not shown restored.
  const watchFailed = result.failedStep?.id === 'post-rollback-watch';
  const failure = result.ok
    ? null
    : watchFailed
      ? `post-rollback-watch: ${plan.to} serves again, but its watch ${result.outcome!.status === 'inconclusive' ? 'paused' : 'failed'} (${result.outcome!.message}): service is not restored; ${plan.to} stays live but is no longer a last known good`
      : `${result.failedStep!.id}: ${result.outcome!.message}${undone}`;
  // rollback-complete marked the restored release good before its watch ran; a release whose watch
  // then failed has not shown it is good (a forced --to may never have been), so it must not be the
  // release the next rollback returns to. Live: it serves, unproven, as a deploy paused at its watch.
  if (watchFailed) await services.ledger.setReleaseState(env, plan.to, 'live', services.now());
  await services.ledger.finishOperation(operation.id, result.ok ? 'succeeded' : 'failed', failure, services.now());
  // Recorded before rollback_complete, so its notification (INCIDENT RESOLVED) carries the incident.
  // An interrupted rollback (returned above) has not ended: its incident is recorded when it is resumed to an end.
  // A drill's rollback is a rehearsal, recorded as its drill (docs/drills.md), not an incident.
  const drill = await rollsBackDrill(services, plan);
  const incident = drill ? {} : await incidentAtEnd(services, await recordIncident(services, plan, operation, result.ok), operation);
  await services.sink.emit({
    event: 'rollback_complete',
    env,
    operationId: operation.id,
    from: plan.from,
    to: plan.to,
    ...drillMark(drill),
    success: result.ok,
    durationMs: await activeDurationMs(services, operation, resumedAt),
    ...(failure ? { error: failure } : {}),
    ...incident,
  });
  if (result.ok) return { plan, operation, ok: true };
  if (!result.changed) {
    // A preflight step (the backup check) refused: the environment is exactly as it was.
    return { plan, operation, ok: false, error: preflightStop(`rollback ${plan.from ?? 'none'} → ${plan.to} stopped before anything was touched`, result, { env, operationId: operation.id }) };
  }
  return {
    plan,
    operation,
    ok: false,
    error: new RewindError('REWIND_E_ROLLBACK_FAILED', `rollback ${plan.from ?? 'none'} → ${plan.to} failed at ${failure}`, { env, operationId: operation.id }),
  };
}

async function buildRollbackPlan(services: Services, environment: ResolvedEnvironment, target: Target, options: RollbackOptions): Promise<Plan> {
  const { env, config } = environment;
  if (options.watchMs && !config.watch) {
    throw new RewindError('REWIND_E_USAGE', `--watch needs environments.${env}.watch: its source is what the restored release is measured through`, { argument: '--watch', env });
  }
  const current = await currentRelease(services, env);
  let to: ReleaseRecord;
  if (options.to !== undefined) {
    to = await requireRelease(services, env, parseVersion(options.to, '--to'));
    if (to.drill) throw new RewindError('REWIND_E_RELEASE_NOT_GOOD', `release ${to.version} is a drill release (rewind drill): never a rollback target`, { env, version: to.version, state: to.state });
    if (to.goodSeq === null && !options.force) {
      throw new RewindError('REWIND_E_RELEASE_NOT_GOOD', `release ${to.version} never reached good (state ${to.state})`, { env, version: to.version, state: to.state });
    }
  } else {
    const lkg = await services.ledger.findLastKnownGood(env, current?.version ?? null);
    if (!lkg) throw new RewindError('REWIND_E_NO_LKG', `no release of ${env} reached good before ${current?.version ?? 'the current state'}`, { env });
    to = lkg;
  }
  if (current?.version === to.version) throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} already runs ${to.version}`, { env, version: to.version });
  // Seed 003 "confirm the rolled-back release passed CI": with a ci: gate, asked of the CI system now.
  const ci = await gateOnCi(services, environment, to, 'rollback', options.allowUntested ?? false);
  if (!hasCiGate(environment) && to.ci !== 'passed' && !options.allowUntested) {
    throw new RewindError('REWIND_E_RELEASE_UNTESTED', `rollback target ${to.version} has CI result "${to.ci}", not "passed"`, { env, version: to.version, ci: to.ci });
  }
  const database = await databaseDecision(services, environment, current, to, options.db);
  if (database?.mode === 'freeze') {
    throw new RewindError('REWIND_E_ROLLBACK_UNSAFE', `rolling ${env} back from ${current?.version ?? 'none'} to ${to.version} is not safe: ${database.reasons.join('; ')}`, {
      env,
      from: current?.version ?? null,
      to: to.version,
      mode: database.mode,
      reasons: database.reasons,
    });
  }
  let down: DownTarget | undefined;
  if (database?.mode === 'down') {
    down = await findDownTarget(services, environment, current!, target);
    if (down.migration.id !== database.down!.id) {
      const why = `--db down: the newest applied migration is ${down.migration.id}, not ${database.down!.id} that ${database.down!.release} applied`;
      throw new RewindError('REWIND_E_ROLLBACK_UNSAFE', why, { env, from: current?.version ?? null, to: to.version, mode: database.mode, reasons: [why] });
    }
  }
  const plan = planRollback({
    env,
    config,
    target,
    from: current,
    to,
    stored: await storedCopy(services, to),
    reason: options.reason ?? `requested by ${services.actor}`,
    // A person asked for this rollback (with or without --to): only the one a failed deploy starts is automatic.
    automatic: false,
    chosenBy: options.to === undefined ? 'lkg' : 'request',
    database,
    safetyBackup: database?.mode === 'restore' || database?.mode === 'down' ? describeBackup(services, environment, 'safety', current?.version ?? null) : undefined,
    down,
    slots: await slotsOf(target, config),
    state: await stateDecision(services, environment, to, database),
    ...(options.watchMs !== undefined ? { watchMs: options.watchMs } : {}),
    flags: await flagsToTurnOff(services, config, env, current?.version),
  });
  return ci ? { ...plan, ci, notes: [...plan.notes, ciNote(ci)] } : plan;
}

/**
 * A rollback refused as unsafe creates no operation (nothing ran), but the audit log still says who
 * asked, what for, and why it was refused. Recording it never hides the refusal itself.
 */
async function auditRefusal(services: Services, refusal: RewindError, options: RollbackOptions): Promise<void> {
  const { env, from, to, mode, reasons } = refusal.details as { env: string; from?: string | null; to?: string; mode?: string; reasons?: string[] };
  await services.sink
    .emit({ event: 'rollback_refused', env, from: from ?? null, to, trigger: 'manual', mode, reasons: reasons ?? [refusal.message], requested: { to: options.to ?? null, db: options.db ?? null, reason: options.reason ?? null } })
    .catch((error: unknown) => {
      refusal.details.auditError = (error as Error).message;
    });
}

/** Undoes the current release: back to the LKG (or --to), verified. */
export async function rollback(services: Services, env: string, options: RollbackOptions = {}): Promise<OperationOutcome> {
  const environment = lookUpEnvironment(services.config, env);
  await services.ledger.ensureEnvironment(env, services.now());
  if (options.dryRun) return planOnly(services, environment, (target) => buildRollbackPlan(services, environment, target, options));
  return withEnvironment(services, environment, async (target, lock) => {
    await refuseIfInterrupted(services, env);
    const plan = await buildRollbackPlan(services, environment, target, options).catch(async (error: unknown) => {
      if (error instanceof RewindError && error.code === 'REWIND_E_ROLLBACK_UNSAFE') await auditRefusal(services, error, options);
      throw error;
    });
    const operation = await createOperation(services, plan, null, plan.reason ?? null);
    await lock.attach(operation.id);
    if (options.db === 'skip') {
      await services.sink.emit({ event: 'rollback_database_skipped', env, operationId: operation.id, from: plan.from, to: plan.to, reasons: plan.database?.reasons ?? [] });
    }
    return startRollback(services, environment, target, plan, operation);
  });
}

import { environmentConfig } from '../config/load-config.js';
import { RewindError } from '../errors/rewind-error.js';
import type { RewindEvent } from '../ports/event-sink.js';
import type { BackupRecord, OperationRecord, ReleaseRecord } from '../ports/ledger.js';
import { succeeded } from '../ports/outcome.js';
import type { Target } from '../ports/target.js';
import { parseVersion } from '../util/semver.js';
import { newOperationId } from './clock.js';
import { withCleanup } from '../util/keep-first-error.js';
import { acquireEnvironmentLock, type HeldLock } from './lock-manager.js';
import { ledgerLostDuring } from './ledger-loss.js';
import type { Plan } from './plan.js';
import { describeDatabaseBackup, findBackup, requireDatabase } from './database/database-backup.js';
import { databaseFactsSince } from './database/database-facts.js';
import { decideDatabaseRollback, type DatabaseDecision, type DatabaseOverride } from './database/database-rollback-decision.js';
import { findDownTarget, type DownTarget } from './database/database-down.js';
import { planDeploy } from './plan/deploy-plan.js';
import { planDown } from './plan/down-plan.js';
import { planRepair } from './plan/repair-plan.js';
import { planRestore } from './plan/restore-plan.js';
import { planRollback } from './plan/rollback-plan.js';
import type { BackupDescription } from './plan/steps/database.js';
import { preflightStop } from './preflight-stop.js';
import { runPlan, type RunResult } from './runner.js';
import { failpoint } from './failpoints.js';
import { describeServed, judgeAgreement, type EnvironmentObservation } from './environment-agreement.js';
import { chooseRepair } from './repair-choice.js';
import { observeServed, servedBy } from './observe-served.js';
import type { Services } from './services.js';
import type { StepContext } from './steps/step-context.js';
import { storedCopy } from './stored-artifacts.js';

export interface OperationOutcome {
  plan: Plan;
  operation?: OperationRecord;
  ok: boolean;
  /** Set when the operation did not end as asked; carries the exit code for the CLI. */
  error?: RewindError;
  /** The automatic rollback a failed deploy started. */
  rollback?: OperationOutcome;
  dryRun?: boolean;
  /** A signal stopped it between two steps; the operation is unfinished and resumable. */
  interrupted?: boolean;
  /** Abandoned: what still disagrees between ledger, link and what serves (repair fixes it). */
  problems?: string[];
}

export interface DeployOptions {
  dryRun?: boolean;
  baseline?: boolean;
  autoRollback?: boolean;
  allowUntested?: boolean;
  /** Deploy a breaking migration that has no down migration (seed 000 preflight 3 refuses it otherwise). */
  allowBreaking?: boolean;
}

export interface RollbackOptions {
  to?: string;
  dryRun?: boolean;
  allowUntested?: boolean;
  force?: boolean;
  reason?: string;
  /** Override the database plan: restore the pre-upgrade backup, or skip the database (audited). */
  db?: DatabaseOverride;
}

export interface RestoreOptions {
  /** The backup to restore (default: the newest pre-upgrade backup of the environment). */
  backupId?: number;
  dryRun?: boolean;
  reason?: string;
}

async function requireRelease(services: Services, env: string, version: string): Promise<ReleaseRecord> {
  const release = await services.ledger.getRelease(env, version);
  if (!release) throw new RewindError('REWIND_E_RELEASE_NOT_FOUND', `release ${version} is not registered for ${env}`, { env, version });
  return release;
}

async function currentRelease(services: Services, env: string): Promise<ReleaseRecord | null> {
  const environment = await services.ledger.getEnvironment(env);
  return environment?.currentVersion ? ((await services.ledger.getRelease(env, environment.currentVersion)) ?? null) : null;
}

function describeBackup(services: Services, env: string, kind: 'pre-upgrade' | 'safety', releaseVersion: string | null): BackupDescription {
  const { destination, commands } = describeDatabaseBackup(services, env, { kind, releaseVersion });
  return { destination, pipelines: commands };
}

/** What a rollback from `from` to `to` does to the database (undefined: the environment has none). */
async function databaseDecision(services: Services, env: string, from: ReleaseRecord | null, to: ReleaseRecord, override?: DatabaseOverride): Promise<DatabaseDecision | undefined> {
  if (!environmentConfig(services.config, env).database) return undefined;
  return decideDatabaseRollback({ hasDatabase: true, since: await databaseFactsSince(services.ledger, env, from, to), override });
}

function stepContext(services: Services, env: string, target: Target, operation: OperationRecord): StepContext {
  const config = environmentConfig(services.config, env);
  return {
    env,
    config,
    ledger: services.ledger,
    target,
    operation,
    now: services.now,
    probeHealth: (version, progress) => (config.health ? services.checkHealth(config.health, version, progress) : Promise.resolve(succeeded('no health check configured'))),
    services,
  };
}

async function refuseIfInterrupted(services: Services, env: string): Promise<void> {
  const running = await services.ledger.findRunningOperations(env);
  if (running.length > 0) {
    const op = running[0]!;
    throw new RewindError('REWIND_E_OPERATION_INTERRUPTED', `${op.kind} ${op.fromVersion ?? 'none'} → ${op.toVersion} (${op.id}) on ${env} did not finish`, {
      env,
      operationId: op.id,
    });
  }
}

async function createOperation(services: Services, plan: Plan, parentId: string | null, reason: string | null): Promise<OperationRecord> {
  const at = services.now();
  const operation: OperationRecord = {
    id: newOperationId(at),
    env: plan.env,
    kind: plan.kind,
    fromVersion: plan.from,
    toVersion: plan.to,
    state: 'running',
    plan,
    actor: services.actor,
    parentId,
    reason,
    error: null,
    startedAt: at,
    finishedAt: null,
  };
  await services.ledger.createOperation(operation);
  return operation;
}

/**
 * Opens the target, takes the lock, runs `work`, and always releases both. A failing release never
 * replaces the error `work` ended with (it is attached to it), and a ledger lost mid-operation says
 * what it left behind and how to resume.
 */
async function withEnvironment<T>(services: Services, env: string, work: (target: Target, lock: HeldLock) => Promise<T>): Promise<T> {
  const config = environmentConfig(services.config, env);
  const target = services.createTarget(env, config);
  return withCleanup(
    async () => {
      const lock = await acquireEnvironmentLock({ ledger: services.ledger, env, actor: services.actor, ttlMs: config.lock.ttlMs, sink: services.sink });
      const guarded = () =>
        work(target, lock).catch((error: unknown) => {
          throw ledgerLostDuring(error, env, lock.operationId);
        });
      return withCleanup(guarded, 'releasing the lock', () => lock.release());
    },
    'closing the target',
    () => target.close(),
  );
}

async function buildDeployPlan(services: Services, env: string, version: string, target: Target, options: DeployOptions): Promise<Plan> {
  const config = environmentConfig(services.config, env);
  const release = await requireRelease(services, env, version);
  if (release.ci === 'failed' && !options.allowUntested) {
    throw new RewindError('REWIND_E_RELEASE_UNTESTED', `release ${version} failed CI`, { env, version, ci: release.ci });
  }
  const current = await currentRelease(services, env);
  if (current?.version === version && current.state === 'good') {
    throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} already runs ${version} and it is good`, { env, version });
  }
  const lkg = (await services.ledger.findLastKnownGood(env, version)) ?? null;
  return planDeploy({
    env,
    config,
    target,
    release,
    stored: await storedCopy(services, release),
    current,
    lkg,
    options: { baseline: options.baseline, autoRollback: options.autoRollback, allowBreaking: options.allowBreaking },
    backup: config.database ? describeBackup(services, env, 'pre-upgrade', current?.version ?? null) : undefined,
    slots: await slotsOf(target, config),
  });
}

/** What each slot holds, for planning blue-green and canary operations (undefined without `traffic:`). */
async function slotsOf(target: Target, config: ReturnType<typeof environmentConfig>) {
  return config.traffic ? target.slots?.() : undefined;
}

/** Ships a release: preflight, unpack, activate, verify, mark good; rolls back by itself on failure. */
export async function deploy(services: Services, env: string, versionInput: string, options: DeployOptions = {}): Promise<OperationOutcome> {
  const version = parseVersion(versionInput);
  const config = environmentConfig(services.config, env);
  await services.ledger.ensureEnvironment(env, services.now());
  if (options.dryRun) {
    const target = services.createTarget(env, config);
    try {
      return { plan: await buildDeployPlan(services, env, version, target, options), ok: true, dryRun: true };
    } finally {
      await target.close();
    }
  }
  return withEnvironment(services, env, async (target, lock) => {
    await refuseIfInterrupted(services, env);
    const plan = await buildDeployPlan(services, env, version, target, options);
    const operation = await createOperation(services, plan, null, null);
    await lock.attach(operation.id);
    await services.sink.emit({ event: 'deploy_start', env, operationId: operation.id, from: plan.from, to: plan.to });
    return executeDeploy(services, target, plan, operation, lock);
  });
}

async function executeDeploy(services: Services, target: Target, plan: Plan, operation: OperationRecord, lock: HeldLock, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint('deploy:operation:created');
  const result = await runPlan(plan, stepContext(services, env, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, target, plan, operation, result);
  failpoint('deploy:operation:ran');
  const durationMs = await activeDurationMs(services, operation, resumedAt);
  if (result.ok) {
    await services.ledger.finishOperation(operation.id, 'succeeded', null, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: true, durationMs });
    return { plan, operation, ok: true };
  }
  const failure = `${result.failedStep!.id}: ${result.outcome!.message}`;
  if (!result.changed) {
    // Nothing that serves was touched: the release keeps its state, the environment runs what it ran.
    await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: false, durationMs, stage: 'preflight', error: failure });
    return { plan, operation, ok: false, error: preflightStop(`deploy of ${plan.to} stopped before activation — nothing changed —`, result, { env, operationId: operation.id }) };
  }

  const pausable = result.failedStep!.kind === 'watch' || result.failedStep!.kind === 'canary-analysis';
  if (pausable && result.outcome!.status !== 'failed') {
    // Missing data is not evidence against the release: leave it live (not good) and tell a human.
    // A paused canary has already sent all traffic back to the stable release (its step did).
    const where = result.failedStep!.kind === 'watch' ? `${plan.to} is live but not marked good` : `${plan.to} was not promoted and ${plan.from ?? 'the stable release'} serves`;
    await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: false, durationMs, paused: true, error: failure });
    return { plan, operation, ok: false, error: new RewindError('REWIND_E_WATCH_PAUSED', `deploy of ${plan.to} paused at ${failure}; ${where}`, { env, operationId: operation.id }) };
  }
  await services.ledger.setReleaseState(env, plan.to, 'failed', services.now());
  const lkg = plan.rollbackTo ? await services.ledger.getRelease(env, plan.rollbackTo) : undefined;
  if (!lkg) {
    await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: false, durationMs, error: failure });
    return { plan, operation, ok: false, error: new RewindError('REWIND_E_DEPLOY_FAILED', `deploy of ${plan.to} failed at ${failure}; no automatic rollback (${plan.notes.at(-1)})`, { env, operationId: operation.id }) };
  }
  const failedRelease = (await services.ledger.getRelease(env, plan.to)) ?? null;
  const database = await databaseDecision(services, env, failedRelease, lkg);
  if (database?.mode === 'freeze') {
    // Rolling the code back onto a schema it cannot use would make things worse: stop and tell a human.
    const why = `deploy of ${plan.to} failed at ${failure}; automatic rollback refused: ${database.reasons.join('; ')}`;
    await services.sink.emit({ event: 'rollback_refused', env, operationId: operation.id, from: plan.to, to: lkg.version, trigger: 'automatic', mode: database.mode, reasons: database.reasons });
    await services.ledger.finishOperation(operation.id, 'failed', why, services.now());
    await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: false, durationMs, error: why });
    return { plan, operation, ok: false, error: new RewindError('REWIND_E_DEPLOY_FAILED', why, { env, operationId: operation.id }) };
  }
  const rollbackPlan = planRollback({
    env,
    config: environmentConfig(services.config, env),
    target,
    from: failedRelease,
    to: lkg,
    stored: await storedCopy(services, lkg),
    reason: `deploy of ${plan.to} failed at ${failure}`,
    automatic: true,
    database,
    safetyBackup: database?.mode === 'restore' ? describeBackup(services, env, 'safety', plan.to) : undefined,
    slots: await slotsOf(target, environmentConfig(services.config, env)),
  });
  // The rollback operation exists before the deploy is closed, so a crash in between leaves it to resume.
  const rollbackOperation = await createOperation(services, rollbackPlan, operation.id, rollbackPlan.reason ?? null);
  await lock.attach(rollbackOperation.id);
  failpoint('deploy:operation:handover');
  await services.ledger.finishOperation(operation.id, 'failed', failure, services.now());
  await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: false, durationMs, error: failure });
  const rollback = await startRollback(services, target, rollbackPlan, rollbackOperation);
  const error = rollback.ok
    ? new RewindError('REWIND_E_DEPLOY_ROLLED_BACK', `deploy of ${plan.to} failed at ${failure}; rolled back to ${lkg.version}, which serves again`, { env, operationId: operation.id, rollbackOperationId: rollbackOperation.id })
    : rollback.error!.code === 'REWIND_E_PREFLIGHT_FAILED'
      ? // The deploy did change things: its rollback stopping in preflight leaves the failed release in place (exit 8), never "nothing changed".
        new RewindError('REWIND_E_DEPLOY_FAILED', `deploy of ${plan.to} failed at ${failure}; not rolled back: ${rollback.error!.message}`, { ...rollback.error!.details, operationId: operation.id, rollbackOperationId: rollbackOperation.id })
      : rollback.error!;
  return { plan, operation, ok: false, error, rollback };
}

async function startRollback(services: Services, target: Target, plan: Plan, operation: OperationRecord): Promise<OperationOutcome> {
  const automatic = plan.automatic ?? false;
  const trigger = automatic ? 'automatic' : 'manual';
  await services.sink.emit({ event: 'rollback_start', env: plan.env, operationId: operation.id, from: plan.from, to: plan.to, automatic, trigger, reason: plan.reason });
  if (plan.database) {
    // What the rollback does to the database, and why, belongs in the audit log, not only in --dry-run.
    await services.sink.emit({ event: 'rollback_database_decision', env: plan.env, operationId: operation.id, from: plan.from, to: plan.to, trigger, ...plan.database });
  }
  return executeRollback(services, target, plan, operation);
}

async function executeRollback(services: Services, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint('rollback:operation:created');
  const result = await runPlan(plan, stepContext(services, env, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, target, plan, operation, result);
  failpoint('rollback:operation:ran');
  const undone = !result.ok && result.changed ? await restartAppStoppedForNothing(services, target, operation, result.failedStep!.id) : '';
  const failure = result.ok ? null : `${result.failedStep!.id}: ${result.outcome!.message}${undone}`;
  await services.ledger.finishOperation(operation.id, result.ok ? 'succeeded' : 'failed', failure, services.now());
  await services.sink.emit({
    event: 'rollback_complete',
    env,
    operationId: operation.id,
    from: plan.from,
    to: plan.to,
    success: result.ok,
    durationMs: await activeDurationMs(services, operation, resumedAt),
    ...(failure ? { error: failure } : {}),
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

async function buildRollbackPlan(services: Services, env: string, target: Target, options: RollbackOptions): Promise<Plan> {
  const config = environmentConfig(services.config, env);
  const current = await currentRelease(services, env);
  let to: ReleaseRecord;
  if (options.to !== undefined) {
    to = await requireRelease(services, env, parseVersion(options.to, '--to'));
    if (to.goodSeq === null && !options.force) {
      throw new RewindError('REWIND_E_RELEASE_NOT_GOOD', `release ${to.version} never reached good (state ${to.state})`, { env, version: to.version, state: to.state });
    }
  } else {
    const lkg = await services.ledger.findLastKnownGood(env, current?.version ?? null);
    if (!lkg) throw new RewindError('REWIND_E_NO_LKG', `no release of ${env} reached good before ${current?.version ?? 'the current state'}`, { env });
    to = lkg;
  }
  if (current?.version === to.version) throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} already runs ${to.version}`, { env, version: to.version });
  if (to.ci !== 'passed' && !options.allowUntested) {
    throw new RewindError('REWIND_E_RELEASE_UNTESTED', `rollback target ${to.version} has CI result "${to.ci}", not "passed"`, { env, version: to.version, ci: to.ci });
  }
  const database = await databaseDecision(services, env, current, to, options.db);
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
    down = await findDownTarget(services, env, current!, target);
    if (down.migration.id !== database.down!.id) {
      const why = `--db down: the newest applied migration is ${down.migration.id}, not ${database.down!.id} that ${database.down!.release} applied`;
      throw new RewindError('REWIND_E_ROLLBACK_UNSAFE', why, { env, from: current?.version ?? null, to: to.version, mode: database.mode, reasons: [why] });
    }
  }
  return planRollback({
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
    safetyBackup: database?.mode === 'restore' || database?.mode === 'down' ? describeBackup(services, env, 'safety', current?.version ?? null) : undefined,
    down,
    slots: await slotsOf(target, config),
  });
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
  const config = environmentConfig(services.config, env);
  await services.ledger.ensureEnvironment(env, services.now());
  if (options.dryRun) {
    const target = services.createTarget(env, config);
    try {
      return { plan: await buildRollbackPlan(services, env, target, options), ok: true, dryRun: true };
    } finally {
      await target.close();
    }
  }
  return withEnvironment(services, env, async (target, lock) => {
    await refuseIfInterrupted(services, env);
    const plan = await buildRollbackPlan(services, env, target, options).catch(async (error: unknown) => {
      if (error instanceof RewindError && error.code === 'REWIND_E_ROLLBACK_UNSAFE') await auditRefusal(services, error, options);
      throw error;
    });
    const operation = await createOperation(services, plan, null, plan.reason ?? null);
    await lock.attach(operation.id);
    if (options.db === 'skip') {
      await services.sink.emit({ event: 'rollback_database_skipped', env, operationId: operation.id, from: plan.from, to: plan.to, reasons: plan.database?.reasons ?? [] });
    }
    return startRollback(services, target, plan, operation);
  });
}

export interface ResumeOptions {
  abandon?: boolean;
}

/**
 * Continues the unfinished operation of an environment from its journal, or abandons it
 * (`abandon`), recording what the target actually runs. Takes over a lock whose holder is gone.
 */
export async function resume(services: Services, env: string, options: ResumeOptions = {}): Promise<OperationOutcome[]> {
  environmentConfig(services.config, env);
  const pending = await services.ledger.findRunningOperations(env);
  if (pending.length === 0) throw new RewindError('REWIND_E_NOTHING_TO_RESUME', `${env} has no unfinished operation`, { env });
  return withEnvironment(services, env, async (target, lock) => {
    const outcomes: OperationOutcome[] = [];
    const running = await services.ledger.findRunningOperations(env);
    for (const operation of running) {
      const plan = operation.plan as Plan;
      await lock.attach(operation.id);
      if (options.abandon) {
        outcomes.push(await abandon(services, target, operation));
        continue;
      }
      const child = running.find((other) => other.parentId === operation.id);
      if (operation.kind === 'deploy' && child) {
        // The deploy had already failed and handed over to its rollback; finish the deploy and let the loop resume the child.
        await services.ledger.finishOperation(operation.id, 'failed', child.reason, services.now());
        await services.sink.emit({ event: 'deploy_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: false, error: child.reason, resumed: true });
        continue;
      }
      const resumedAt = services.now();
      const execute = {
        deploy: () => executeDeploy(services, target, plan, operation, lock, resumedAt),
        rollback: () => executeRollback(services, target, plan, operation, resumedAt),
        restore: () => executeDatabaseOperation(services, target, plan, operation, resumedAt),
        down: () => executeDatabaseOperation(services, target, plan, operation, resumedAt),
        repair: () => executeRepair(services, target, plan, operation, resumedAt),
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
async function abandon(services: Services, target: Target, operation: OperationRecord): Promise<OperationOutcome> {
  const { env } = operation;
  const plan = operation.plan as Plan;
  const at = services.now();
  for (const step of await services.ledger.listSteps(operation.id)) {
    if (step.state === 'running') await services.ledger.finishStep(operation.id, step.index, 'abandoned', { ...(step.detail as object), message: `abandoned by ${services.actor}` }, at);
  }
  const observation = await observeEnvironment(services, env, target);
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

/** Removes a lock whoever holds it, with a reason that lands in the audit log. */
export async function forceUnlock(services: Services, env: string, reason: string): Promise<{ removed: boolean; holder?: string }> {
  environmentConfig(services.config, env);
  if (!reason.trim()) throw new RewindError('REWIND_E_USAGE', 'unlock --force needs --reason "<why>" for the audit log', { argument: '--reason' });
  const holder = await services.ledger.forceReleaseLock(env);
  await services.sink.emit({
    event: 'lock_forced',
    env,
    operationId: holder?.operationId ?? null,
    reason,
    previousHolder: holder?.holder ?? null,
    previousPid: holder?.pid ?? null,
  });
  return { removed: holder !== undefined, holder: holder?.holder };
}

async function chooseBackup(services: Services, env: string, backupId: number | undefined): Promise<BackupRecord> {
  if (backupId !== undefined) {
    const backup = await findBackup(services, String(backupId), { env });
    if (backup.deletedAt !== null) throw new RewindError('REWIND_E_BACKUP_NOT_FOUND', `backup #${backup.id} was pruned at ${new Date(backup.deletedAt).toISOString()}`, { env, backup: backup.id });
    return backup;
  }
  const newest = (await services.ledger.listBackups(env)).find((b) => b.kind === 'pre-upgrade');
  if (!newest) throw new RewindError('REWIND_E_BACKUP_NOT_FOUND', `${env} has no pre-upgrade backup to restore; pass --backup <id> (see \`rewind db list ${env}\`)`, { env });
  return newest;
}

/**
 * Restores a database backup (seed 000, "Migration Failure / Incompatible Schema"): the backup is
 * checked before anything is touched, the app is stopped, the current state is saved in a safety
 * backup (seed 002), the backup is restored and verified, and the running release starts again.
 */
export async function restoreDatabase(services: Services, env: string, options: RestoreOptions = {}): Promise<OperationOutcome> {
  const config = environmentConfig(services.config, env);
  requireDatabase(env, config);
  await services.ledger.ensureEnvironment(env, services.now());
  const build = async (target: Target): Promise<Plan> => {
    const backup = await chooseBackup(services, env, options.backupId);
    const current = await currentRelease(services, env);
    return planRestore({
      env,
      config,
      target,
      current,
      backup,
      safetyBackup: describeBackup(services, env, 'safety', current?.version ?? null),
      reason: options.reason ?? `requested by ${services.actor}`,
    });
  };
  return runPlannedOperation(services, env, options.dryRun, build, (plan, operation) => ({ event: 'restore_start', env, operationId: operation.id, backupId: plan.database?.backupId, release: plan.from }));
}

/**
 * The shared shape of `db restore`, `db down` and `repair`: a dry-run plans against the target and
 * changes nothing; a real run plans under the lock, creates the operation, announces it and applies it.
 */
async function runPlannedOperation(
  services: Services,
  env: string,
  dryRun: boolean | undefined,
  build: (target: Target) => Promise<Plan>,
  startEvent: (plan: Plan, operation: OperationRecord) => RewindEvent,
  execute: (services: Services, target: Target, plan: Plan, operation: OperationRecord) => Promise<OperationOutcome> = executeDatabaseOperation,
): Promise<OperationOutcome> {
  if (dryRun) {
    const target = services.createTarget(env, environmentConfig(services.config, env));
    try {
      return { plan: await build(target), ok: true, dryRun: true };
    } finally {
      await target.close();
    }
  }
  return withEnvironment(services, env, async (target, lock) => {
    await refuseIfInterrupted(services, env);
    const plan = await build(target);
    const operation = await createOperation(services, plan, null, plan.reason ?? null);
    await lock.attach(operation.id);
    await services.sink.emit(startEvent(plan, operation));
    return execute(services, target, plan, operation);
  });
}

/** Runs a restore or a down operation and reports it (`restore_complete` / `down_complete`). */
async function executeDatabaseOperation(services: Services, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint(`${plan.kind}:operation:created`);
  const result = await runPlan(plan, stepContext(services, env, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, target, plan, operation, result);
  failpoint(`${plan.kind}:operation:ran`);
  const undone = !result.ok && result.changed ? await restartAppStoppedForNothing(services, target, operation, result.failedStep!.id) : '';
  const failure = result.ok ? null : `${result.failedStep!.id}: ${result.outcome!.message}${undone}`;
  await services.ledger.finishOperation(operation.id, result.ok ? 'succeeded' : 'failed', failure, services.now());
  await services.sink.emit({
    event: `${plan.kind}_complete`,
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
  const config = environmentConfig(services.config, env);
  requireDatabase(env, config);
  await services.ledger.ensureEnvironment(env, services.now());
  const build = async (target: Target): Promise<Plan> => {
    const current = await currentRelease(services, env);
    if (!current) throw new RewindError('REWIND_E_NOTHING_TO_DO', `nothing is deployed to ${env}: no release whose migrations to revert`, { env });
    const down = await findDownTarget(services, env, current, target);
    return planDown({ env, current, down, safetyBackup: describeBackup(services, env, 'safety', current.version), reason: options.reason ?? `requested by ${services.actor}` });
  };
  return runPlannedOperation(services, env, options.dryRun, build, (plan, operation) => ({ event: 'down_start', env, operationId: operation.id, migration: plan.steps.at(-1)!.params.migration, release: plan.from }));
}

/**
 * How long an operation was at work: a resumed one does not count the time it lay interrupted
 * (from its last journal entry before the resume to the resume).
 */
async function activeDurationMs(services: Services, operation: OperationRecord, resumedAt?: number): Promise<number> {
  const now = services.now();
  if (resumedAt === undefined) return now - operation.startedAt;
  const before = (await services.ledger.listSteps(operation.id)).map((s) => s.finishedAt ?? s.startedAt).filter((at) => at < resumedAt);
  const lastActivity = Math.max(operation.startedAt, ...before);
  return lastActivity - operation.startedAt + (now - resumedAt);
}

/** Ledger record, target link and what serves, read now. */
export async function observeEnvironment(services: Services, env: string, target: Target): Promise<EnvironmentObservation> {
  const [environment, link, served] = await Promise.all([services.ledger.getEnvironment(env), target.activeVersion(), observeServed(services, env, target)]);
  return { ledger: environment?.currentVersion ?? null, link, served, servedBy: servedBy(services, env, target) };
}

/**
 * A signal stopped the operation between two steps. It stays unfinished in the journal (resume
 * continues it); the report says exactly where it stopped and what the environment runs now.
 */
async function interrupted(services: Services, target: Target, plan: Plan, operation: OperationRecord, result: RunResult): Promise<OperationOutcome> {
  const { env } = plan;
  const stop = result.interrupted!;
  const seen = await observeEnvironment(services, env, target);
  const agreement = judgeAgreement(seen);
  const signal = services.interruption?.signal ?? 'a signal';
  const where = `${stop.after ? `after ${stop.after.id}` : 'before its first step'}, before ${stop.next.id}`;
  const now = `the ledger records ${seen.ledger ?? 'nothing'}, the link points at ${seen.link ?? 'nothing'}, serving: ${describeServed(agreement.served)}`;
  // Stopped before anything that serves changed (only preflight steps ran): nothing is left to finish,
  // so the operation is closed and the same command can simply be run again. Not so for a rollback a
  // failed deploy handed over to: the deploy did change things, and its rollback stays resumable.
  const closed = !result.changed && operation.parentId === null;
  await services.sink.emit({ event: 'operation_interrupted', env, operationId: operation.id, kind: plan.kind, from: plan.from, to: plan.to, signal, after: stop.after?.id ?? null, next: stop.next.id, ledger: seen.ledger, link: seen.link, served: agreement.served, closed });
  if (closed) {
    await services.ledger.finishOperation(operation.id, 'failed', `stopped on ${signal} ${where}, before anything changed`, services.now());
    const message = `${plan.kind} ${plan.from ?? 'none'} → ${plan.to} stopped on ${signal} ${where}, before anything changed: ${now}. Nothing is unfinished; run the command again when you want it`;
    return { plan, operation, ok: false, interrupted: true, error: new RewindError('REWIND_E_INTERRUPTED', message, { env, operationId: operation.id, after: stop.after?.id ?? null, next: stop.next.id, closed }) };
  }
  const message = `${plan.kind} ${plan.from ?? 'none'} → ${plan.to} stopped on ${signal} ${where}; nothing is half-done: ${now}. It is unfinished: run \`rewind resume ${env}\` to continue, or \`rewind resume ${env} --abandon\` to stop it here`;
  return { plan, operation, ok: false, interrupted: true, error: new RewindError('REWIND_E_INTERRUPTED', message, { env, operationId: operation.id, after: stop.after?.id ?? null, next: stop.next.id }) };
}

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
  const config = environmentConfig(services.config, env);
  await services.ledger.ensureEnvironment(env, services.now());
  const build = async (target: Target): Promise<Plan> => {
    const observation = await observeEnvironment(services, env, target);
    const agreement = judgeAgreement(observation);
    if (agreement.agree) {
      throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} is consistent: the ledger, the link and the processes all name ${observation.ledger ?? 'nothing'}`, { env, version: observation.ledger });
    }
    const choice = chooseRepair(observation, agreement);
    if (!choice) throw new RewindError('REWIND_E_NOTHING_TO_DO', `${env} has nothing deployed to reconcile: ${agreement.problems.join('; ')}`, { env });
    return planRepair({ env, config, target, observation, problems: agreement.problems, choice, reason: options.reason ?? `requested by ${services.actor}` });
  };
  const found = (plan: Plan) => plan.notes.filter((n) => n.startsWith('found: ')).map((n) => n.slice('found: '.length));
  return runPlannedOperation(services, env, options.dryRun, build, (plan, operation) => ({ event: 'repair_start', env, operationId: operation.id, from: plan.from, to: plan.to, reason: plan.reason, found: found(plan) }), executeRepair);
}

async function executeRepair(services: Services, target: Target, plan: Plan, operation: OperationRecord, resumedAt?: number): Promise<OperationOutcome> {
  const { env } = plan;
  failpoint('repair:operation:created');
  const result = await runPlan(plan, stepContext(services, env, target, operation), services.sink);
  if (result.interrupted) return interrupted(services, target, plan, operation, result);
  failpoint('repair:operation:ran');
  const failure = result.ok ? null : `${result.failedStep!.id}: ${result.outcome!.message}`;
  await services.ledger.finishOperation(operation.id, result.ok ? 'succeeded' : 'failed', failure, services.now());
  await services.sink.emit({ event: 'repair_complete', env, operationId: operation.id, from: plan.from, to: plan.to, success: result.ok, durationMs: await activeDurationMs(services, operation, resumedAt), ...(failure ? { error: failure } : {}) });
  if (result.ok) return { plan, operation, ok: true };
  const code = result.outcome!.code ?? (result.failedStep!.kind === 'health' ? 'REWIND_E_DEPLOY_FAILED' : 'REWIND_E_ROLLBACK_FAILED');
  return { plan, operation, ok: false, error: new RewindError(code, `repair of ${env} (→ ${plan.to}) failed at ${failure}`, { env, operationId: operation.id }) };
}

/**
 * A restore stops the app before it touches the database. When it then fails without changing the
 * database (its safety backup failed, or a restore that is one transaction rolled back), what the
 * app ran against is still there: start it again rather than leave the service down. A restore that
 * may have changed the database leaves the app stopped, and says so. Returns what was done, for the
 * operation's error message.
 */
async function restartAppStoppedForNothing(services: Services, target: Target, operation: OperationRecord, failedStep: string): Promise<string> {
  const steps = await services.ledger.listSteps(operation.id);
  const stopped = steps.some((s) => s.stepId === 'stop-app' && s.state === 'succeeded');
  if (!stopped || steps.some((s) => s.stepId === 'db-restore' && s.state === 'succeeded')) return '';
  const failure = steps.filter((s) => s.stepId === failedStep).at(-1);
  const untouched = failedStep === 'db-safety-backup' || (failedStep === 'db-restore' && (failure?.detail as { untouched?: boolean } | undefined)?.untouched === true);
  const version = await target.activeVersion();
  if (!untouched || !version) return `; the app stopped for the restore stays stopped (the database may have changed): \`rewind status ${operation.env}\` shows it`;
  let outcome = await target.activate(version);
  // Started is not serving: the same health check as after any activation says when it is back.
  const health = environmentConfig(services.config, operation.env).health;
  if (outcome.status === 'succeeded' && health) outcome = await services.checkHealth(health, version);
  await services.sink.emit({ event: 'app_restarted', env: operation.env, operationId: operation.id, to: version, success: outcome.status === 'succeeded', why: `${failedStep} failed before the database changed`, message: outcome.message });
  return outcome.status === 'succeeded' ? `; the database is as it was, and ${version}, stopped for the restore, serves again` : `; starting ${version} again failed too: ${outcome.message}`;
}

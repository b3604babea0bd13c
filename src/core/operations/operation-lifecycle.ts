import { RewindError } from '../../errors/rewind-error.js';
import type { RewindEvent } from '../../ports/event-sink.js';
import type { OperationRecord } from '../../ports/ledger.js';
import { succeeded } from '../../ports/outcome.js';
import type { Target } from '../../ports/target.js';
import { withCleanup } from '../../util/keep-first-error.js';
import { newOperationId } from '../clock.js';
import { describeServed, judgeAgreement, type EnvironmentObservation } from '../environment-agreement.js';
import { acquireEnvironmentLock, type HeldLock } from '../lock-manager.js';
import { observeServed, servedBy } from '../observe-served.js';
import type { Plan } from '../plan.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import type { RunResult } from '../run/runner.js';
import type { Services } from '../services.js';
import type { StepContext } from '../steps/step-context.js';
import { ledgerLostDuring } from './ledger-loss.js';

/**
 * What every use case shares: the target and the lock held around the work, the operation opened
 * in the journal and closed there, the context its steps run in, and the report of an interrupted
 * run. The environment arrives resolved (`lookUpEnvironment`, once per use case).
 */

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

export function stepContext(services: Services, environment: ResolvedEnvironment, target: Target, operation: OperationRecord): StepContext {
  const { env, config } = environment;
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

export async function refuseIfInterrupted(services: Services, env: string): Promise<void> {
  const running = await services.ledger.findRunningOperations(env);
  if (running.length > 0) {
    const op = running[0]!;
    throw new RewindError('REWIND_E_OPERATION_INTERRUPTED', `${op.kind} ${op.fromVersion ?? 'none'} → ${op.toVersion} (${op.id}) on ${env} did not finish`, {
      env,
      operationId: op.id,
    });
  }
}

export async function createOperation(services: Services, plan: Plan, parentId: string | null, reason: string | null): Promise<OperationRecord> {
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
export async function withEnvironment<T>(services: Services, environment: ResolvedEnvironment, work: (target: Target, lock: HeldLock) => Promise<T>): Promise<T> {
  const { env, config } = environment;
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

/** A dry-run: plans against the target (opened for its describers and slots, then closed) and changes nothing. */
export async function planOnly(services: Services, environment: ResolvedEnvironment, build: (target: Target) => Promise<Plan>): Promise<OperationOutcome> {
  const target = services.createTarget(environment.env, environment.config);
  try {
    return { plan: await build(target), ok: true, dryRun: true };
  } finally {
    await target.close();
  }
}

/**
 * The shared shape of `db restore`, `db down` and `repair`: a dry-run plans against the target and
 * changes nothing; a real run plans under the lock, creates the operation, announces it and applies it.
 */
export async function runPlannedOperation(
  services: Services,
  environment: ResolvedEnvironment,
  dryRun: boolean | undefined,
  build: (target: Target) => Promise<Plan>,
  startEvent: (plan: Plan, operation: OperationRecord) => RewindEvent,
  execute: (services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord) => Promise<OperationOutcome>,
): Promise<OperationOutcome> {
  if (dryRun) return planOnly(services, environment, build);
  return withEnvironment(services, environment, async (target, lock) => {
    await refuseIfInterrupted(services, environment.env);
    const plan = await build(target);
    const operation = await createOperation(services, plan, null, plan.reason ?? null);
    await lock.attach(operation.id);
    await services.sink.emit(startEvent(plan, operation));
    return execute(services, environment, target, plan, operation);
  });
}

/**
 * How long an operation was at work: a resumed one does not count the time it lay interrupted
 * (from its last journal entry before the resume to the resume).
 */
export async function activeDurationMs(services: Services, operation: OperationRecord, resumedAt?: number, now = services.now()): Promise<number> {
  if (resumedAt === undefined) return now - operation.startedAt;
  const before = (await services.ledger.listSteps(operation.id)).map((s) => s.finishedAt ?? s.startedAt).filter((at) => at < resumedAt);
  const lastActivity = Math.max(operation.startedAt, ...before);
  return lastActivity - operation.startedAt + (now - resumedAt);
}

/** Ledger record, target link and what serves, read now. */
export async function observeEnvironment(services: Services, environment: ResolvedEnvironment, target: Target): Promise<EnvironmentObservation> {
  const { env } = environment;
  const [record, link, served] = await Promise.all([services.ledger.getEnvironment(env), target.activeVersion(), observeServed(services, environment, target)]);
  return { ledger: record?.currentVersion ?? null, link, served, servedBy: servedBy(environment, target) };
}

/**
 * A signal stopped the operation between two steps. It stays unfinished in the journal (resume
 * continues it); the report says exactly where it stopped and what the environment runs now.
 */
export async function interrupted(services: Services, environment: ResolvedEnvironment, target: Target, plan: Plan, operation: OperationRecord, result: RunResult): Promise<OperationOutcome> {
  const { env } = plan;
  const stop = result.interrupted!;
  const seen = await observeEnvironment(services, environment, target);
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

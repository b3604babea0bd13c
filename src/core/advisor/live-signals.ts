import { databaseFactsSince } from '../database/database-facts.js';
import type { HealthCheckConfig } from '../../config/config-schema.js';
import type { Ledger, OperationRecord, ReleaseRecord } from '../../ports/ledger.js';
import { decideDatabaseRollback } from '../database/database-rollback-decision.js';
import type { Plan } from '../plan.js';
import { lookUpEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import type { FailedDeploySignal, LiveSignals } from './advice-signals.js';
import { measureMetricSignals } from './metric-signals.js';

/** The slice of the services the advisor reads: it never changes anything. */
export type AdvisorServices = Pick<Services, 'config' | 'ledger' | 'checkHealth' | 'createMetricSource'>;

/** How far back the journal is read for the newest deploy, its rollback and the last rollback's duration. */
const RECENT_OPERATIONS = 50;

/**
 * Reads what rewind can know by itself about an environment: the current release and its LKG (with
 * CI results), one pass of the configured health check, the newest deploy if it failed and what its
 * journal says, unfinished operations, the last rollback's duration, what a rollback would do to
 * the database, and the error rate and latency ratio measured through `watch.source`. Read-only: no lock, no event, no ledger write. Throws REWIND_E_UNKNOWN_ENV.
 */
export async function gatherLiveSignals(services: AdvisorServices, env: string): Promise<LiveSignals> {
  const { config } = lookUpEnvironment(services.config, env);
  const { ledger } = services;
  const environment = await ledger.getEnvironment(env);
  const current = environment?.currentVersion ? ((await ledger.getRelease(env, environment.currentVersion)) ?? null) : null;
  const [lkg, operations, unfinished] = await Promise.all([
    ledger.findLastKnownGood(env, current?.version ?? null),
    ledger.listOperations(env, { limit: RECENT_OPERATIONS }),
    ledger.findRunningOperations(env),
  ]);
  const [health, metrics, lastDeploy, database] = await Promise.all([
    probeHealth(services, env, config.health, current),
    measureMetricSignals(services, config.watch, env, current?.version ?? null, operations),
    failedDeploy(ledger, env, operations, current),
    config.database ? databaseSignal(ledger, env, current, lkg ?? null) : Promise.resolve(undefined),
  ]);
  const lastRollback = operations.find((op) => op.kind === 'rollback' && op.state === 'succeeded' && op.finishedAt !== null);
  return {
    env,
    health,
    current: current ? { version: current.version, state: current.state, ci: current.ci } : null,
    lastKnownGood: lkg ? { version: lkg.version, ci: lkg.ci } : null,
    ...(database ? { database } : {}),
    ...(lastDeploy ? { lastDeploy } : {}),
    unfinished: unfinished.map((op) => ({ id: op.id, kind: op.kind, from: op.fromVersion, to: op.toVersion })),
    ...(lastRollback ? { lastRollbackMs: lastRollback.finishedAt! - lastRollback.startedAt } : {}),
    metrics,
  };
}

async function probeHealth(services: AdvisorServices, env: string, health: HealthCheckConfig | undefined, current: ReleaseRecord | null): Promise<LiveSignals['health']> {
  if (!health) return { status: 'unknown', message: 'no health check is configured', missing: `environments.${env}.health` };
  if (!current) return { status: 'unknown', message: 'nothing is deployed to check' };
  // The release is already running: no readiness delay, and one retry rides out a blip without
  // making the advice wait through the full deploy-time backoff.
  const quick: HealthCheckConfig = { ...health, readinessDelayMs: 0, retries: Math.min(health.retries, 1) };
  try {
    const outcome = await services.checkHealth(quick, current.version);
    return { status: outcome.status === 'succeeded' ? 'ok' : outcome.status === 'failed' ? 'failing' : 'unknown', message: outcome.message };
  } catch (error) {
    return { status: 'unknown', message: `the health check could not run: ${(error as Error).message}` };
  }
}

/** The newest deploy, if it failed: where, and whether the automatic rollback after it finished. */
async function failedDeploy(ledger: Ledger, env: string, operations: OperationRecord[], current: ReleaseRecord | null): Promise<FailedDeploySignal | undefined> {
  const deploy = operations.find((op) => op.kind === 'deploy');
  if (!deploy || deploy.state !== 'failed') return undefined;
  const steps = await ledger.listSteps(deploy.id);
  const failed = steps.find((s) => s.state === 'failed' || s.state === 'error');
  const phase = (deploy.plan as Plan | null)?.steps?.find((s) => s.id === failed?.stepId)?.phase ?? null;
  // Operations are newest first, so the first rollback that names the deploy as parent is its own.
  const child = operations.find((op) => op.kind === 'rollback' && op.parentId === deploy.id);
  const release = await ledger.getRelease(env, deploy.toVersion);
  return {
    operationId: deploy.id,
    version: deploy.toVersion,
    failedStep: failed?.stepId ?? null,
    phase,
    error: deploy.error,
    rollback: !child ? 'none' : child.state === 'succeeded' ? 'succeeded' : child.state === 'running' ? 'running' : 'failed',
    rolledBackTo: child?.toVersion ?? null,
    migrationFailed: failed?.kind === 'migrate',
    preUpgradeBackupId: release?.database?.preUpgradeBackupId ?? null,
    stillCurrent: current?.version === deploy.toVersion,
  };
}

/**
 * What `rewind rollback` would do to the database, decided by the same pure function from the same
 * facts: every release after the LKG up to the current one, with what its deploy recorded.
 */
async function databaseSignal(ledger: Ledger, env: string, current: ReleaseRecord | null, lkg: ReleaseRecord | null): Promise<NonNullable<LiveSignals['database']>> {
  const currentVerdict = current?.database?.verdict ?? null;
  if (!current || !lkg) return { currentVerdict, restoreAvailable: false };
  const since = await databaseFactsSince(ledger, env, current, lkg);
  const auto = decideDatabaseRollback({ hasDatabase: true, since });
  const forced = decideDatabaseRollback({ hasDatabase: true, since, override: 'restore' });
  return {
    currentVerdict,
    rollback: { mode: auto.mode, reasons: auto.reasons, backupId: auto.backup?.id ?? null },
    restoreAvailable: forced.mode === 'restore',
  };
}

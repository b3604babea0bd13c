import { closeInterruptedDrills, drillOwner } from './interrupted-drills.js';
import { RewindError, toRewindError } from '../../errors/rewind-error.js';
import type { DrillFailure, DrillRecord } from '../../ports/ledger-drills.js';
import { deploy } from '../operations/deploy.js';
import type { OperationOutcome } from '../operations/operation-lifecycle.js';
import { currentRelease } from '../operations/plan-inputs.js';
import { rollback } from '../operations/rollback.js';
import { registerRelease } from '../register-release.js';
import { lookUpEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { storedCopy } from '../stored-artifacts.js';
import { buildDrillArtifact, drillVersionOf, failingMigrationPath } from './drill-release.js';
import { permitDrill, type DrillPermission } from './drill-policy.js';
import { drillTimes, type DrillTimes } from './drill-timing.js';

export const DRILL_FAILURES: readonly DrillFailure[] = ['health', 'smoke', 'migration'];

export interface FailureDrillOptions extends DrillPermission {
  failure: DrillFailure;
  dryRun?: boolean;
}

/** What the drill will do, for --dry-run and for the report. */
export interface FailureDrillPlan {
  env: string;
  failure: DrillFailure;
  from: string;
  drillVersion: string;
  /** Files added to the running release's artifact. */
  adds: string[];
  /** The step expected to fail, and what then happens. */
  expect: string;
  forcedReason: string | null;
}

export interface FailureDrillOutcome {
  ok: boolean;
  dryRun?: boolean;
  plan: FailureDrillPlan;
  drill?: DrillRecord;
  times?: DrillTimes;
  deploy?: OperationOutcome;
  /** Why the drill failed (the gap it found), when it did. */
  error?: RewindError;
}

const EXPECTED_STEP: Record<DrillFailure, string> = { health: 'health', smoke: 'smoke', migration: 'migrate' };

/** Checks everything a failure drill needs before anything is written; returns its plan. */
async function planFailureDrill(services: Services, env: string, options: FailureDrillOptions): Promise<{ plan: FailureDrillPlan; stored: string; migrationPath?: string }> {
  const { config } = lookUpEnvironment(services.config, env);
  if (!DRILL_FAILURES.includes(options.failure)) {
    throw new RewindError('REWIND_E_USAGE', `--failure must be one of ${DRILL_FAILURES.join(', ')}, not ${JSON.stringify(options.failure)}`, { argument: '--failure' });
  }
  const forcedReason = permitDrill(env, config, options);
  const notReady = (why: string) => new RewindError('REWIND_E_DRILL_NOT_READY', `drill on ${env}: ${why}. Nothing was changed`, { env });
  const current = await currentRelease(services, env);
  if (!current) throw notReady('nothing is deployed; deploy a release first (the drill returns to it)');
  if (current.state !== 'good' && current.state !== 'superseded') throw notReady(`the running release ${current.version} is ${current.state}, not good; deploy a good release first (\`rewind deploy ${env} <version>\`)`);
  if (current.drill) throw notReady(`the running release ${current.version} is itself a drill release`);
  if (options.failure === 'health' && !config.health) throw notReady('a health drill needs a health check (environments.<env>.health)');
  if (options.failure === 'smoke' && !config.smoke) throw notReady('a smoke drill needs a smoke suite (environments.<env>.smoke)');
  const migrationPath = options.failure === 'migration' ? failingMigrationPath(config.database?.migrations) : undefined;
  if (config.target.type !== 'releases') {
    throw new RewindError('REWIND_E_DRILL_UNSUPPORTED', `drill on ${env}: the ${config.target.type} target's releases are images or charts; a failure drill rebuilds the running release's directory or tarball. Nothing was changed`, { env });
  }
  const stored = await storedCopy(services, current);
  if (!stored) {
    throw new RewindError('REWIND_E_DRILL_NOT_READY', `drill on ${env}: ${current.version}'s artifact is missing from rewind's artifact store; a failure drill copies it. Nothing was changed`, { env, version: current.version });
  }
  const n = (await services.ledger.listDrills({ env, limit: 1 }))[0]?.id ?? 0;
  let drillVersion = drillVersionOf(current.version, n + 1);
  // A version is registered once per environment: step past any left by an earlier drill.
  for (let k = n + 2; await services.ledger.getRelease(env, drillVersion); k++) drillVersion = drillVersionOf(current.version, k);
  const adds = ['rewind-drill.json', ...(migrationPath ? [migrationPath] : [])];
  const expect = `deploy ${drillVersion} fails at ${EXPECTED_STEP[options.failure]}; rewind rolls back to ${current.version} by itself and checks it`;
  return { plan: { env, failure: options.failure, from: current.version, drillVersion, adds, expect, forcedReason }, stored, migrationPath };
}

/**
 * A failure drill (docs/drills.md): derive a drill release from the running one with the failure
 * injected, deploy it through rewind's own deploy (automatic rollback on), and judge from the
 * journal whether the failure was detected and service restored, and how fast. The running release
 * stays the last known good; the drill release is marked and never becomes one.
 */
export async function runFailureDrill(services: Services, env: string, options: FailureDrillOptions): Promise<FailureDrillOutcome> {
  const { plan, stored, migrationPath } = await planFailureDrill(services, env, options);
  if (options.dryRun) return { ok: true, dryRun: true, plan };

  await closeInterruptedDrills(services, env);
  const drill = await services.ledger.recordDrill({
    env,
    owner: drillOwner(),
    kind: 'failure',
    failure: plan.failure,
    actor: services.actor,
    forcedReason: plan.forcedReason,
    fromVersion: plan.from,
    drillVersion: plan.drillVersion,
    backupId: null,
    startedAt: services.now(),
  });
  await services.sink.emit({ event: 'drill_start', env, drillId: drill.id, kind: 'failure', failure: plan.failure, from: plan.from, drillVersion: plan.drillVersion, backupId: null, forced: plan.forcedReason !== null, forceReason: plan.forcedReason });

  let outcome: OperationOutcome | undefined;
  let times: DrillTimes | undefined;
  let gap: string | null = null;
  try {
    const from = await services.ledger.getRelease(env, plan.from);
    const artifact = await buildDrillArtifact(stored, { failure: plan.failure, of: plan.from, version: plan.drillVersion }, migrationPath);
    try {
      await registerRelease(services, env, plan.drillVersion, { artifact: artifact.dir, ci: 'passed', ...(from?.commit ? { commit: from.commit } : {}), drill: true });
    } finally {
      await artifact.dispose();
    }
    outcome = await deploy(services, env, plan.drillVersion, { autoRollback: true });
    const rollbackId = outcome.rollback?.operation?.id ?? null;
    if (outcome.operation) times = await drillTimes(services.ledger, outcome.operation.id, rollbackId);
    if (outcome.ok) {
      // The injected failure went unnoticed: the drill release serves. Put the running release back.
      gap = `the ${plan.failure} failure was not detected: ${plan.drillVersion} passed every check (does the app read rewind-drill.json? docs/drills.md)`;
      const back = await rollback(services, env, { to: plan.from, reason: `drill #${drill.id}: undetected ${plan.failure} failure`, allowUntested: true });
      if (!back.ok) gap += `; putting ${plan.from} back failed too: ${back.error?.message ?? 'see rewind history'}`;
    } else if (outcome.error?.code !== 'REWIND_E_DEPLOY_ROLLED_BACK') {
      gap = `rewind did not recover by itself: ${outcome.error?.message ?? 'the deploy failed'}`;
    } else if (times?.detectedBy !== EXPECTED_STEP[plan.failure]) {
      gap = `detected at ${times?.detectedBy ?? 'no step'}, not at ${EXPECTED_STEP[plan.failure]} where the failure was injected`;
    } else if (times.restoredAt === null) {
      gap = `the rollback to ${plan.from} did not pass its checks`;
    } else if (config(services, env).health) {
      const served = await services.checkHealth(config(services, env).health!, plan.from);
      if (served.status !== 'succeeded') gap = `${plan.from} does not answer healthy after the drill: ${served.message}`;
    }
  } catch (error) {
    gap = toRewindError(error).message;
  }

  const ok = gap === null;
  await services.ledger.finishDrill(drill.id, {
    state: ok ? 'passed' : 'failed',
    deployOperationId: outcome?.operation?.id ?? null,
    rollbackOperationId: outcome?.rollback?.operation?.id ?? null,
    ttdMs: times?.ttdMs ?? null,
    ttrMs: times?.ttrMs ?? null,
    detail: { expect: plan.expect, adds: plan.adds, ...(times ? { detectedBy: times.detectedBy, restoredBy: times.restoredBy, detectedAt: times.detectedAt, restoredAt: times.restoredAt } : {}), ...(gap ? { gap } : {}) },
    finishedAt: services.now(),
  });
  await services.sink.emit({ event: 'drill_complete', env, drillId: drill.id, kind: 'failure', failure: plan.failure, success: ok, ttdMs: times?.ttdMs ?? null, ttrMs: times?.ttrMs ?? null, ...(gap ? { error: gap } : {}) });
  const record = (await services.ledger.listDrills({ env, limit: 1 }))[0];
  return {
    ok,
    plan,
    drill: record,
    times,
    deploy: outcome,
    ...(gap ? { error: new RewindError('REWIND_E_DRILL_FAILED', `drill #${drill.id} on ${env} (${plan.failure}): ${gap}`, { env, drillId: drill.id }) } : {}),
  };
}

const config = (services: Services, env: string) => lookUpEnvironment(services.config, env).config;

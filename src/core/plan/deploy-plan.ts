import type { EnvironmentConfig } from '../../config/config-schema.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { SlotState } from '../../ports/target.js';
import { drillMark, PLAN_FORMAT_VERSION, type Plan, type PlanStep } from '../plan.js';
import { baselineMetricsStep, healthStep, smokeStep, watchStep } from './steps/checks.js';
import { backupStep, driftCheckStep, migrateStep, migrationsCheckStep, recordDatabaseFactsStep, type BackupDescription } from './steps/database.js';
import { activateStep, diskSpaceStep, markGoodStep, prepareStep, pruneStep, recordRunningStep, releaseArtifact } from './steps/release.js';
import { slotDeploySteps } from './steps/slots.js';
import { flagsRestoreStep } from './steps/flags.js';
import { stateCleanupStep, stateSnapshotStep } from './steps/state.js';
import type { TargetDescriber } from './target-describer.js';

export interface DeployPlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  release: ReleaseRecord;
  /** rewind's stored copy of the release's artifact, when the store has one (ArtifactStore.locate). */
  stored?: string;
  current: ReleaseRecord | null;
  lkg: ReleaseRecord | null;
  options?: { baseline?: boolean; autoRollback?: boolean; allowBreaking?: boolean };
  /** Set when the environment has a database: the pre-upgrade backup's commands. */
  backup?: BackupDescription;
  /** Slotted targets with `traffic:`: what each slot holds now (blue-green, canary). */
  slots?: SlotState[];
  /** A roll-forward of a release whose flags a rollback turned off: what to put back, and where. */
  flags?: { off: Record<string, boolean | null>; source: string };
}

/** Deploy: record running → disk space → baseline health → unpack → activate → health → mark good → prune. Pure. */
export function planDeploy(input: DeployPlanInput): Plan {
  const { config, release, current, lkg, target } = input;
  // The baseline tells a sick environment from a bad new release: it needs a running release known
  // to be good. One that failed its checks or was never judged (live) says nothing by failing, and
  // refusing on it would leave no way forward when there is no LKG to roll back to either.
  const knownGood = current !== null && (current.state === 'good' || current.state === 'superseded');
  const baselineWanted = (input.options?.baseline ?? config.deploy.baselineHealth) && current !== null && config.health !== undefined;
  const baseline = baselineWanted && (knownGood || input.options?.baseline === true);
  const autoRollback = input.options?.autoRollback ?? config.deploy.autoRollback;
  const artifact = releaseArtifact(release, input.stored);
  const notes: string[] = [];
  if (current === null) notes.push('first deploy to this environment: no running release to record or probe');
  if (!config.health) notes.push('no health check configured: activation is trusted without probing (configure `health:`)');
  if (current !== null && !baseline && config.health) {
    notes.push(baselineWanted ? `baseline health skipped: the running release ${current.version} is ${current.state}, not known good (a failing probe of it would not tell a sick environment)` : 'baseline health skipped by request');
  }
  if (current !== null && !target.capabilities.zeroDowntimeReload && !config.traffic) notes.push(`the ${target.type} target restarts the app to activate: expect a brief interruption`);
  notes.push(
    lkg
      ? `if a step after activation fails, ${autoRollback ? 'rewind rolls back by itself' : 'automatic rollback is off; run rollback'} to the last known good release ${lkg.version}`
      : 'no last known good release exists: a failure after activation cannot be rolled back automatically',
  );
  // Prepare first, as they run: an image target learns a release's services from its manifest there.
  const prepare = target.describePrepare(artifact);
  const activate = target.describeActivate(release.version);
  const database = config.database;
  const migrations = database?.migrations;
  let migrationSteps: PlanStep[] = [];
  if (migrations) {
    const releaseDir = target.releaseDir?.(release.version) ?? `<release ${release.version}>`;
    migrationSteps = [migrationsCheckStep(migrations, release.version, releaseDir, input.options?.allowBreaking), migrateStep(input.env, migrations, release.version, releaseDir)];
    notes.push(`a failure from the migration on rolls back by itself; the database plan is decided then from the lint verdict (restore when breaking)`);
  } else if (database) {
    migrationSteps = [recordDatabaseFactsStep(release.version)];
  }
  const state = config.state;
  // A snapshot holds the state of the running release, for a rollback to it: without one there is nothing to roll back to.
  const snapshot = state && current ? [stateSnapshotStep(state.type, current.version)] : [];
  if (state && !current) notes.push(`no ${state.type} snapshot: no running release whose state a rollback would return to`);
  const cleanup = state?.cleanup?.on.includes('deploy') ? [stateCleanupStep(state.type, state.cleanup, 'change')] : [];
  const slotted = config.traffic && input.slots ? slotDeploySteps({ config, target, release, current, slots: input.slots }) : undefined;
  if (slotted) notes.push(...slotted.notes);
  if (config.watch) notes.push(`the release is marked good only after a ${Math.round(config.watch.windowMs / 1000)} s watch window`);
  const steps: PlanStep[] = [
    recordRunningStep(current),
    diskSpaceStep(config.deploy.minFreeMb, release.artifact, input.stored),
    ...(baseline ? [healthStep('baseline-health', config, current!.version, 'preflight')] : []),
    ...(config.watch && current ? [baselineMetricsStep(config.watch, current.version)] : []),
    ...(database && current && database.driftCheck ? [driftCheckStep(current.version)] : []),
    ...(database ? [backupStep('db-backup', 'pre-upgrade', current?.version ?? null, 'preflight', input.backup)] : []),
    ...snapshot,
    prepareStep(artifact, prepare),
    ...migrationSteps,
    ...cleanup,
    ...(slotted ? slotted.steps : [activateStep(release.version, 'deploy', activate)]),
    ...(config.health ? [healthStep('health', config, release.version, 'verify')] : []),
    ...smokeStep(config, release.version),
    ...(config.watch ? [watchStep(config.watch, release.version)] : []),
    markGoodStep(release.version, current?.version ?? null),
    ...(input.flags ? [flagsRestoreStep(release.version, input.flags.off, input.flags.source)] : []),
    pruneStep(config.target.keep),
  ];
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'deploy',
    env: input.env,
    from: current?.version ?? null,
    to: release.version,
    toState: release.state,
    notes,
    rollbackTo: autoRollback && lkg ? lkg.version : null,
    ...drillMark(release.drill),
    steps,
  };
}

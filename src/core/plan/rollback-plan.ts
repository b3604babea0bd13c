import type { EnvironmentConfig } from '../../config/config-schema.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { SlotState } from '../../ports/target.js';
import { describeDownTarget, type DownTarget } from '../database/database-down.js';
import type { DatabaseDecision } from '../database/database-rollback-decision.js';
import { drillMark, PLAN_FORMAT_VERSION, type Plan, type PlanStep } from '../plan.js';
import { healthStep, postRollbackWatchStep, smokeStep } from './steps/checks.js';
import { flagsOffStep } from './steps/flags.js';
import { downSteps, restoreSteps, type BackupDescription } from './steps/database.js';
import { activateStep, prepareStep, releaseArtifact, rollbackCompleteStep, rollbackStartStep } from './steps/release.js';
import { slotRollbackSteps } from './steps/slots.js';
import { stateCheckStep, stateCleanupStep, stateRestoreStep } from './steps/state.js';
import type { StateDecision } from '../state/state-snapshots.js';
import { step } from './steps/step.js';
import type { TargetDescriber } from './target-describer.js';

export interface RollbackPlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  from: ReleaseRecord | null;
  to: ReleaseRecord;
  /** rewind's stored copy of `to`'s artifact, when the store has one (ArtifactStore.locate). */
  stored?: string;
  reason: string;
  /** True only for the rollback rewind starts by itself after a failed deploy. */
  automatic: boolean;
  /** How the target was chosen: the last known good release (default), or named with --to. */
  chosenBy?: 'lkg' | 'request';
  /** What to do with the database, decided by decideDatabaseRollback; absent: no database. */
  database?: DatabaseDecision;
  /** For a restore or a down: the safety backup's commands. */
  safetyBackup?: BackupDescription;
  /** For a down: the one migration and its commands. */
  down?: DownTarget;
  /** Slotted targets with `traffic:`: what each slot holds now. */
  slots?: SlotState[];
  /** With `state:`: whether the state store's snapshot is put back (decideStateRestore). */
  state?: StateDecision;
  /** The post-rollback watch's length (`rollback --watch`); null: none; absent: watch.afterRollbackMs. */
  watchMs?: number | null;
  /** The flags `from` declared (`release register --flag`) and their source: turned off after the switch back. */
  flags?: { flags: string[]; source: string };
}

/** Rollback: rollback_start → (unpack if needed) → activate LKG → health → rollback_complete. Pure. */
export function planRollback(input: RollbackPlanInput): Plan {
  const { config, from, to, target } = input;
  const artifact = releaseArtifact(to, input.stored);
  const prepare = target.describePrepare(artifact);
  const activate = target.describeActivate(to.version);
  const decision = input.database;
  const notes = [
    `${to.version} is the ${input.chosenBy === 'request' ? 'requested target' : 'last known good release, chosen by recorded outcome and sequence'}: reached good as #${to.goodSeq ?? '—'}, CI ${to.ci}`,
    `reason: ${input.reason}`,
    ...(decision ? decision.reasons.map((r) => `database (${decision.mode}): ${r}`) : ['database: none configured (code-only rollback)']),
    ...(decision?.mode === 'down' && input.down ? describeDownTarget(input.down) : []),
  ];
  if (!config.health) notes.push('no health check configured: the rolled-back release is not probed');
  const watchMs = input.watchMs === undefined ? config.watch?.afterRollbackMs : (input.watchMs ?? undefined);
  const watch = config.watch && watchMs ? [postRollbackWatchStep(config.watch, to.version, watchMs)] : [];
  if (watch.length) notes.push(`after the rollback ${to.version} is watched for ${Math.round(watchMs! / 1000)} s; service counts as restored only if it passes`);
  const unpack = prepareStep(artifact, prepare);
  const databaseSteps = [
    ...(decision?.mode === 'restore' && decision.backup ? restoreSteps(decision.backup.id, from?.version ?? null, input.safetyBackup, decision.undoes ?? []) : []),
    ...(decision?.mode === 'down' && input.down ? downSteps(input.down, input.safetyBackup) : []),
  ];
  const state = config.state;
  const restore = input.state?.restore;
  if (state) notes.push(...(input.state?.reasons ?? []).map((r) => `state (${state.type}): ${r}`));
  // The snapshot is checked before anything is stopped; the app is stopped (once) before Redis is.
  const stateCheck = state && restore ? [stateCheckStep(restore)] : [];
  const stopsApp = databaseSteps.some((s) => s.kind === 'stop-app');
  const stateSteps = [
    ...(state && restore && !stopsApp ? [step({ id: 'stop-app', kind: 'stop-app', phase: 'change', title: 'stop the app (no writes while the state store is restored)', params: {} })] : []),
    ...(state && restore ? [stateRestoreStep(state.type, restore, state.restart ?? [])] : []),
    ...(state?.cleanup?.on.includes('rollback') ? [stateCleanupStep(state.type, state.cleanup, 'change')] : []),
  ];
  let switchSteps: PlanStep[];
  if (config.traffic && input.slots) {
    const restart = decision?.mode === 'restore' || restore !== undefined;
    const slotted = slotRollbackSteps({ config, target, from, to, slots: input.slots, restart });
    // A release on no slot is unpacked before the database is touched, so a missing artifact stops the rollback first.
    switchSteps = [...stateCheck, ...(slotted.unpack ? [unpack] : []), ...databaseSteps, ...stateSteps, ...slotted.steps];
    notes.push(...slotted.notes);
  } else {
    notes.push(
      target.capabilities.keepsPreviousWarm
        ? `${to.version} is still warm: the rollback is a traffic switch`
        : `${to.version} is booted again (${target.capabilities.zeroDowntimeReload ? 'zero-downtime reload' : 'restart'})`,
    );
    switchSteps = [...stateCheck, unpack, ...databaseSteps, ...stateSteps, activateStep(to.version, 'rollback', activate)];
  }
  const steps: PlanStep[] = [
    rollbackStartStep(from?.version ?? null, to.version),
    ...switchSteps,
    ...(config.health ? [healthStep('health', config, to.version, 'verify')] : []),
    ...smokeStep(config, to.version),
    rollbackCompleteStep(from?.version ?? null, to.version),
    ...(input.flags && from ? [flagsOffStep(from.version, input.flags.flags, input.flags.source)] : []),
    ...watch,
  ];
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'rollback',
    env: input.env,
    from: from?.version ?? null,
    to: to.version,
    toState: to.state,
    notes,
    automatic: input.automatic,
    reason: input.reason,
    ...drillMark(from?.drill),
    ...(decision ? { database: { mode: decision.mode, reasons: decision.reasons, ...(decision.backup ? { backupId: decision.backup.id } : {}) } } : {}),
    steps,
  };
}

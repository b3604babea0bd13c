import type { EnvironmentConfig } from '../config/config-schema.js';
import { migrationsEnvRefs } from '../config/config-secrets.js';
import type { CommandSpec } from '../ports/executor.js';
import type { BackupRecord, ReleaseRecord } from '../ports/ledger.js';
import { substituteArgv } from '../util/substitute-argv.js';
import type { DatabaseDecision } from './database/database-rollback-decision.js';
import { describeDownTarget, type DownTarget } from './database/database-down.js';
import type { ReleaseArtifact, SlotState, Target } from '../ports/target.js';
import { slotDeploySteps, slotRollbackSteps } from './traffic/slot-plan.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanStep } from './plan.js';
import { healthStep, smokeStep, step } from './plan-steps.js';
import type { EnvironmentObservation } from './environment-agreement.js';
import type { RepairChoice } from './repair-choice.js';

/** The target's pure describers; the planner calls nothing else on it. */
export type TargetDescriber = Pick<Target, 'describePrepare' | 'describeActivate' | 'describeStartOnSlot' | 'capabilities' | 'type' | 'releaseDir'>;

/** What a backup will run, as the engine describes it (pipelines of argv), for plans and dry-runs. */
export interface BackupDescription {
  destination: string;
  pipelines: CommandSpec[][];
}

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
}

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
}

export interface DownPlanInput {
  env: string;
  current: ReleaseRecord;
  down: DownTarget;
  safetyBackup: BackupDescription;
  reason: string;
}

export interface RestorePlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  current: ReleaseRecord | null;
  backup: BackupRecord;
  safetyBackup: BackupDescription;
  reason: string;
}

/** What the prepare step unpacks: the stored copy when there is one, else the registered path. */
function releaseArtifact(release: ReleaseRecord, stored: string | undefined): ReleaseArtifact {
  return { version: release.version, artifact: release.artifact, digest: release.digest, ...(stored ? { stored } : {}) };
}

function backupStep(id: string, kind: 'pre-upgrade' | 'safety', release: string | null, phase: PlanStep['phase'], described: BackupDescription | undefined): PlanStep {
  const pipelines = described?.pipelines ?? [];
  return step({
    id,
    kind: 'db-backup',
    phase,
    title: `${kind} database backup${release ? ` (state of ${release})` : ''}`,
    params: { kind, release },
    commands: pipelines.flat(),
    effects: [
      ...(described ? [`write ${described.destination} (final name fixed when it runs), sha256 computed while it streams`] : []),
      ...pipelines.filter((p) => p.length > 1).map((p) => `pipeline: ${p.map((c) => c.argv[0]).join(' | ')}`),
      ...(pipelines.length === 0 ? ['in process (SQLite online backup API)'] : []),
      'record it in the ledger and one line in the backups log',
    ],
  });
}

/** Seed 003: a safety backup, then exactly one down migration, checked against the history table. */
function downSteps(down: DownTarget, safety: BackupDescription | undefined): PlanStep[] {
  return [
    backupStep('db-safety-backup', 'safety', down.release, 'change', safety),
    step({
      id: 'db-down',
      kind: 'db-down',
      phase: 'change',
      title: `revert ${down.migration.name} (one step)`,
      params: { migration: down.migration.id, release: down.release },
      commands: down.commands,
      effects: [`then check that ${down.migration.id}, and only it, is no longer applied`],
    }),
  ];
}

/** Seed 000 "Migration Failure / Incompatible Schema": check the backup → stop writes → safety backup → restore → verify. */
function restoreSteps(backupId: number, from: string | null, safety: BackupDescription | undefined, undoes: string[], recordFor: string | null = null): PlanStep[] {
  return [
    step({ id: 'db-check-backup', kind: 'db-check-backup', phase: 'preflight', title: `check backup #${backupId}: sha256 and readability`, params: { backupId }, effects: ['refuse before anything is touched if it does not match'] }),
    step({ id: 'stop-app', kind: 'stop-app', phase: 'change', title: 'stop the app (no writes during the restore; the database keeps running)', params: {} }),
    backupStep('db-safety-backup', 'safety', from, 'change', safety),
    step({
      id: 'db-restore',
      kind: 'db-restore',
      phase: 'change',
      title: `restore backup #${backupId}`,
      params: { backupId, undoes },
      effects: ['checksum checked again first; replaces the database contents', ...(undoes.length ? [`then records that the migrations of ${undoes.join(', ')} are undone`] : [])],
    }),
    step({ id: 'db-verify', kind: 'db-verify', phase: 'verify', title: 'verify migration table state and critical row counts against the backup', params: { backupId, recordFor } }),
  ];
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
  const activate = target.describeActivate(release.version);
  const prepare = target.describePrepare(artifact);
  const steps: PlanStep[] = [
    step({
      id: 'record-running',
      kind: 'record-running',
      phase: 'preflight',
      title: `record running release (${current ? `${current.version}${current.commit ? ` @ ${current.commit.slice(0, 12)}` : ''}` : 'none'})`,
      params: { expected: current?.version ?? null, commit: current?.commit ?? null },
    }),
    step({
      id: 'disk-space',
      kind: 'disk-space',
      phase: 'preflight',
      title: `free disk space ≥ artifact + ${config.deploy.minFreeMb} MB`,
      params: { artifact: release.artifact, ...(input.stored ? { stored: input.stored } : {}), minFreeMb: config.deploy.minFreeMb },
    }),
  ];
  if (baseline) steps.push(healthStep('baseline-health', config, current!.version, 'preflight'));
  if (config.watch && current) {
    steps.push(step({ id: 'baseline-metrics', kind: 'baseline-metrics', phase: 'preflight', title: `baseline p95 latency of ${current.version}`, params: { version: current.version }, effects: [`measure through ${config.watch.source.type}`] }));
  }
  const database = config.database;
  if (database && current && database.driftCheck) {
    steps.push(
      step({
        id: 'drift-check',
        kind: 'drift-check',
        phase: 'preflight',
        title: `live schema equals the one recorded for ${current.version}`,
        params: { version: current.version },
        effects: ['read the schema from the catalog (PostgreSQL); stop on any difference'],
      }),
    );
  }
  if (database) steps.push(backupStep('db-backup', 'pre-upgrade', current?.version ?? null, 'preflight', input.backup));
  steps.push(step({ id: 'prepare', kind: 'prepare', phase: 'preflight', title: prepare.summary, params: { ...artifact }, commands: prepare.commands, effects: prepare.effects }));
  const migrations = database?.migrations;
  if (migrations) {
    const releaseDir = target.releaseDir?.(release.version) ?? `<release ${release.version}>`;
    steps.push(
      step({
        id: 'migrations-check',
        kind: 'migrations-check',
        phase: 'preflight',
        title: `check ${migrations.tool} migrations in ${migrations.dir}`,
        params: { version: release.version, allowBreaking: input.options?.allowBreaking ?? false },
        effects: [
          `read the ${migrations.tool} history table; stop on a failed or dirty migration`,
          `pending = in ${releaseDir}/${migrations.dir} and not applied; lint their SQL`,
          migrations.allowBreaking || input.options?.allowBreaking ? 'breaking migrations allowed by request' : 'refuse a breaking migration that has no down migration',
        ],
      }),
      step({
        id: 'migrate',
        kind: 'migrate',
        phase: 'change',
        title: `apply pending migrations of ${release.version}`,
        params: { version: release.version },
        commands: [{ argv: substituteArgv(migrations.apply, { releaseDir, currentDir: releaseDir, version: release.version }), cwd: releaseDir, env: migrationsEnvRefs(input.env, migrations.env), timeoutMs: migrations.timeoutMs }],
        effects: ['record the migrations, their verdict and the pre-upgrade backup on the release first', 'then confirm from the history table that every pending migration is applied'],
      }),
    );
    notes.push(`a failure from the migration on rolls back by itself; the database plan is decided then from the lint verdict (restore when breaking)`);
  } else if (database) {
    steps.push(step({ id: 'migrate', kind: 'migrate', phase: 'preflight', title: 'record database facts (no migrations configured)', params: { version: release.version } }));
  }
  if (config.traffic && input.slots) {
    const slotted = slotDeploySteps({ config, target, release, current, slots: input.slots });
    steps.push(...slotted.steps);
    notes.push(...slotted.notes);
  } else {
    steps.push(
      step({ id: 'activate', kind: 'activate', phase: 'change', title: `activate ${release.version}`, params: { version: release.version, mode: 'deploy' }, commands: activate.commands, effects: activate.effects }),
    );
  }
  if (config.health) steps.push(healthStep('health', config, release.version, 'verify'));
  steps.push(...smokeStep(config, release.version));
  if (config.watch) {
    const w = config.watch;
    steps.push(
      step({
        id: 'watch',
        kind: 'watch',
        phase: 'verify',
        title: `watch ${release.version} for ${Math.round(w.windowMs / 1000)} s`,
        params: { version: release.version },
        effects: [
          `every ${w.intervalMs / 1000} s through ${w.source.type}: error rate > ${w.errorRateThreshold * 100} % fails; p95 > ${w.latencyFactor} × baseline fails (twice)`,
          'a failed metric rolls back by itself; source errors or no data pause for a human (no rollback)',
        ],
      }),
    );
    notes.push(`the release is marked good only after a ${Math.round(config.watch.windowMs / 1000)} s watch window`);
  }
  steps.push(
    step({ id: 'mark-good', kind: 'mark-good', phase: 'finalize', title: `mark ${release.version} good`, params: { version: release.version, previous: current?.version ?? null } }),
    step({
      id: 'prune',
      kind: 'prune',
      phase: 'finalize',
      title: `prune release directories beyond ${config.target.keep}, rollback targets kept first`,
      params: { keep: config.target.keep },
      effects: [
        'never the current release, the last known good release, or one an operation is using',
        'failed, rolled-back and never-deployed releases go before good ones; newest kept first within each',
        "drop artifact store entries no release needs (kept: in use, the newest good, registered and not deployed yet)",
      ],
    }),
  );
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'deploy',
    env: input.env,
    from: current?.version ?? null,
    to: release.version,
    toState: release.state,
    notes,
    rollbackTo: autoRollback && lkg ? lkg.version : null,
    steps,
  };
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
  const prepareStep = step({ id: 'prepare', kind: 'prepare', phase: 'preflight', title: prepare.summary, params: { ...artifact }, commands: prepare.commands, effects: prepare.effects });
  const databaseSteps = [
    ...(decision?.mode === 'restore' && decision.backup ? restoreSteps(decision.backup.id, from?.version ?? null, input.safetyBackup, decision.undoes ?? []) : []),
    ...(decision?.mode === 'down' && input.down ? downSteps(input.down, input.safetyBackup) : []),
  ];
  const steps: PlanStep[] = [step({ id: 'rollback-start', kind: 'rollback-start', phase: 'preflight', title: `rollback_start ${from?.version ?? 'none'} → ${to.version}`, params: { from: from?.version ?? null, to: to.version } })];
  if (config.traffic && input.slots) {
    const restart = decision?.mode === 'restore';
    const slotted = slotRollbackSteps({ config, target, from, to, slots: input.slots, restart });
    // A release on no slot is unpacked before the database is touched, so a missing artifact stops the rollback first.
    steps.push(...(slotted.unpack ? [prepareStep] : []), ...databaseSteps, ...slotted.steps);
    notes.push(...slotted.notes);
  } else {
    notes.push(
      target.capabilities.keepsPreviousWarm
        ? `${to.version} is still warm: the rollback is a traffic switch`
        : `${to.version} is booted again (${target.capabilities.zeroDowntimeReload ? 'zero-downtime reload' : 'restart'})`,
    );
    steps.push(
      prepareStep,
      ...databaseSteps,
      step({ id: 'activate', kind: 'activate', phase: 'change', title: `activate ${to.version}`, params: { version: to.version, mode: 'rollback' }, commands: activate.commands, effects: activate.effects }),
    );
  }
  if (config.health) steps.push(healthStep('health', config, to.version, 'verify'));
  steps.push(...smokeStep(config, to.version));
  steps.push(
    step({ id: 'rollback-complete', kind: 'rollback-complete', phase: 'finalize', title: `rollback_complete: ${to.version} is current and good`, params: { from: from?.version ?? null, to: to.version } }),
  );
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
    ...(decision ? { database: { mode: decision.mode, reasons: decision.reasons, ...(decision.backup ? { backupId: decision.backup.id } : {}) } } : {}),
    steps,
  };
}

/** `rewind db restore`: the restore sequence, then the running release started again and probed. Pure. */
export function planRestore(input: RestorePlanInput): Plan {
  const { config, current, backup, target } = input;
  const steps = restoreSteps(backup.id, current?.version ?? null, input.safetyBackup, [], current?.version ?? null);
  const notes = [
    `restore backup #${backup.id} (${backup.kind}, taken ${new Date(backup.createdAt).toISOString()}${backup.releaseVersion ? ` while ${backup.releaseVersion} ran` : ''}, sha256 ${backup.sha256.slice(0, 12)}…)`,
    `reason: ${input.reason}`,
  ];
  if (current) {
    const activate = target.describeActivate(current.version);
    steps.push(step({ id: 'activate', kind: 'activate', phase: 'change', title: `start ${current.version} again`, params: { version: current.version, mode: 'restore' }, commands: activate.commands, effects: activate.effects }));
    if (config.health) steps.push(healthStep('health', config, current.version, 'verify'));
    steps.push(...smokeStep(config, current.version));
    if (backup.releaseVersion && backup.releaseVersion !== current.version) {
      notes.push(`the backup holds the database of ${backup.releaseVersion}, but ${current.version} runs: check that ${current.version} works with that schema, or roll back instead`);
    }
  } else {
    notes.push('nothing is deployed to this environment: the app is not started afterwards');
  }
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'restore',
    env: input.env,
    from: current?.version ?? null,
    to: current?.version ?? 'none',
    notes,
    reason: input.reason,
    database: { mode: 'restore', reasons: [`restore backup #${backup.id}`], backupId: backup.id },
    steps,
  };
}

/** `rewind db down`: a safety backup, then exactly one down migration. The app is left as it runs. Pure. */
export function planDown(input: DownPlanInput): Plan {
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'down',
    env: input.env,
    from: input.current.version,
    to: input.current.version,
    notes: [...describeDownTarget(input.down), `reason: ${input.reason}`, `the app keeps running ${input.current.version}; roll its code back with \`rewind rollback ${input.env} --db skip --yes\` if it needs the old schema`],
    reason: input.reason,
    database: { mode: 'down', reasons: [`revert ${input.down.migration.name}`] },
    steps: downSteps(input.down, input.safetyBackup),
  };
}

export interface RepairPlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  observation: EnvironmentObservation;
  problems: string[];
  choice: RepairChoice;
  reason: string;
}

/** `rewind repair`: make the link and the ledger agree with what serves (or one release serve everywhere), then probe it. Pure. */
export function planRepair(input: RepairPlanInput): Plan {
  const { config, choice, observation, target } = input;
  const activate = choice.action === 'activate' ? target.describeActivate(choice.version) : undefined;
  const title = {
    activate: `activate ${choice.version} again on every process`,
    relink: `point the current link at ${choice.version} (it already serves; nothing restarts)`,
    record: `the target already runs ${choice.version}`,
  }[choice.action];
  const steps: PlanStep[] = [
    step({ id: 'reconcile', kind: 'reconcile', phase: 'change', title, params: { version: choice.version, action: choice.action, observed: observation }, commands: activate?.commands ?? [], effects: [...(activate?.effects ?? []), 'then check that the link and every process name the same release'] }),
    step({ id: 'record-current', kind: 'record-current', phase: 'finalize', title: `record ${choice.version} as current in the ledger`, params: { version: choice.version, previous: observation.ledger }, effects: [`a release left "deploying" becomes live (serving) or failed (not serving)`] }),
  ];
  if (config.health) steps.push(healthStep('health', config, choice.version, 'verify'));
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'repair',
    env: input.env,
    from: observation.ledger,
    to: choice.version,
    notes: [...input.problems.map((p) => `found: ${p}`), `decision: ${choice.why}`, `reason: ${input.reason}`],
    reason: input.reason,
    steps,
  };
}

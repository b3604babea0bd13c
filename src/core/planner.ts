import type { EnvironmentConfig } from '../config/config-schema.js';
import type { ReleaseRecord } from '../ports/ledger.js';
import type { Target } from '../ports/target.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanStep } from './plan.js';

/** The target's pure describers; the planner calls nothing else on it. */
export type TargetDescriber = Pick<Target, 'describePrepare' | 'describeActivate' | 'capabilities' | 'type'>;

export interface DeployPlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  release: ReleaseRecord;
  current: ReleaseRecord | null;
  lkg: ReleaseRecord | null;
  options?: { baseline?: boolean; autoRollback?: boolean };
}

export interface RollbackPlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  from: ReleaseRecord | null;
  to: ReleaseRecord;
  reason: string;
  automatic: boolean;
}

const step = (s: Omit<PlanStep, 'commands' | 'effects'> & Partial<Pick<PlanStep, 'commands' | 'effects'>>): PlanStep => ({
  commands: [],
  effects: [],
  ...s,
});

function healthStep(id: string, config: EnvironmentConfig, version: string, phase: PlanStep['phase']): PlanStep {
  const health = config.health!;
  return step({
    id,
    kind: id === 'baseline-health' ? 'baseline-health' : 'health',
    phase,
    title: `${id === 'baseline-health' ? 'baseline health of' : 'health of'} ${version}`,
    params: { version },
    effects: [
      `${health.method} ${health.url} expecting ${JSON.stringify(health.expectStatus)}${health.json ? ` and ${JSON.stringify(health.json).replaceAll('{{version}}', version)}` : ''}; up to ${health.retries + 1} attempts`,
    ],
  });
}

/** Deploy: record running → disk space → baseline health → unpack → activate → health → mark good → prune. Pure. */
export function planDeploy(input: DeployPlanInput): Plan {
  const { config, release, current, lkg, target } = input;
  const baseline = (input.options?.baseline ?? config.deploy.baselineHealth) && current !== null && config.health !== undefined;
  const autoRollback = input.options?.autoRollback ?? config.deploy.autoRollback;
  const artifact = { version: release.version, artifact: release.artifact, digest: release.digest };
  const notes: string[] = [];
  if (current === null) notes.push('first deploy to this environment: no running release to record or probe');
  if (!config.health) notes.push('no health check configured: activation is trusted without probing (configure `health:`)');
  if (current !== null && !baseline && config.health) notes.push('baseline health skipped by request');
  if (current !== null && !target.capabilities.zeroDowntimeReload) notes.push(`the ${target.type} target restarts the app to activate: expect a brief interruption`);
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
      params: { artifact: release.artifact, minFreeMb: config.deploy.minFreeMb },
    }),
  ];
  if (baseline) steps.push(healthStep('baseline-health', config, current!.version, 'preflight'));
  steps.push(
    step({ id: 'prepare', kind: 'prepare', phase: 'preflight', title: prepare.summary, params: artifact, commands: prepare.commands, effects: prepare.effects }),
    step({ id: 'activate', kind: 'activate', phase: 'change', title: `activate ${release.version}`, params: { version: release.version, mode: 'deploy' }, commands: activate.commands, effects: activate.effects }),
  );
  if (config.health) steps.push(healthStep('health', config, release.version, 'verify'));
  steps.push(
    step({ id: 'mark-good', kind: 'mark-good', phase: 'finalize', title: `mark ${release.version} good`, params: { version: release.version, previous: current?.version ?? null } }),
    step({
      id: 'prune',
      kind: 'prune',
      phase: 'finalize',
      title: `prune releases beyond the newest ${config.target.keep}`,
      params: { keep: config.target.keep },
      effects: ['never the current release, the last known good release, or one an operation is using'],
    }),
  );
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'deploy',
    env: input.env,
    from: current?.version ?? null,
    to: release.version,
    notes,
    rollbackTo: autoRollback && lkg ? lkg.version : null,
    steps,
  };
}

/** Rollback: rollback_start → (unpack if needed) → activate LKG → health → rollback_complete. Pure. */
export function planRollback(input: RollbackPlanInput): Plan {
  const { config, from, to, target } = input;
  const artifact = { version: to.version, artifact: to.artifact, digest: to.digest };
  const prepare = target.describePrepare(artifact);
  const activate = target.describeActivate(to.version);
  const notes = [
    `${to.version} is the ${input.automatic ? 'last known good release, chosen by recorded outcome and sequence' : 'requested target'}: reached good as #${to.goodSeq ?? '—'}, CI ${to.ci}`,
    `reason: ${input.reason}`,
    'database: left as it is (code-only rollback)',
  ];
  if (!config.health) notes.push('no health check configured: the rolled-back release is not probed');
  notes.push(
    target.capabilities.keepsPreviousWarm
      ? `${to.version} is still warm: the rollback is a traffic switch`
      : `${to.version} is booted again (${target.capabilities.zeroDowntimeReload ? 'zero-downtime reload' : 'restart'})`,
  );
  const steps: PlanStep[] = [
    step({ id: 'rollback-start', kind: 'rollback-start', phase: 'preflight', title: `rollback_start ${from?.version ?? 'none'} → ${to.version}`, params: { from: from?.version ?? null, to: to.version } }),
    step({ id: 'prepare', kind: 'prepare', phase: 'preflight', title: prepare.summary, params: artifact, commands: prepare.commands, effects: prepare.effects }),
    step({ id: 'activate', kind: 'activate', phase: 'change', title: `activate ${to.version}`, params: { version: to.version, mode: 'rollback' }, commands: activate.commands, effects: activate.effects }),
  ];
  if (config.health) steps.push(healthStep('health', config, to.version, 'verify'));
  steps.push(
    step({ id: 'rollback-complete', kind: 'rollback-complete', phase: 'finalize', title: `rollback_complete: ${to.version} is current and good`, params: { from: from?.version ?? null, to: to.version } }),
  );
  return {
    version: PLAN_FORMAT_VERSION,
    kind: 'rollback',
    env: input.env,
    from: from?.version ?? null,
    to: to.version,
    notes,
    automatic: input.automatic,
    reason: input.reason,
    steps,
  };
}

import type { ReleaseRecord } from '../../../ports/ledger.js';
import type { ReleaseArtifact, ActionDescription } from '../../../ports/target.js';
import type { PlanStep } from '../../plan.js';
import { step } from './step.js';

/** Step builders for a release's way through a target: record, unpack, activate, judge, prune (plain data, no I/O). */

/** What the prepare step unpacks: the stored copy when there is one, else the registered path. */
export function releaseArtifact(release: ReleaseRecord, stored: string | undefined): ReleaseArtifact {
  return { version: release.version, artifact: release.artifact, digest: release.digest, ...(stored ? { stored } : {}) };
}

/** The release the deploy expects to find running (resume and the journal compare against it). */
export function recordRunningStep(current: ReleaseRecord | null): PlanStep {
  return step({
    id: 'record-running',
    kind: 'record-running',
    phase: 'preflight',
    title: `record running release (${current ? `${current.version}${current.commit ? ` @ ${current.commit.slice(0, 12)}` : ''}` : 'none'})`,
    params: { expected: current?.version ?? null, commit: current?.commit ?? null },
  });
}

export function diskSpaceStep(minFreeMb: number, artifact: string, stored: string | undefined): PlanStep {
  return step({
    id: 'disk-space',
    kind: 'disk-space',
    phase: 'preflight',
    title: `free disk space ≥ artifact + ${minFreeMb} MB`,
    params: { artifact, ...(stored ? { stored } : {}), minFreeMb },
  });
}

/** Unpacks `artifact` as the target describes it (`Target.describePrepare`). */
export function prepareStep(artifact: ReleaseArtifact, described: ActionDescription): PlanStep {
  return step({ id: 'prepare', kind: 'prepare', phase: 'preflight', title: described.summary, params: { ...artifact }, commands: described.commands, effects: described.effects });
}

/** Makes `version` the one that serves, as the target describes it (`Target.describeActivate`). */
export function activateStep(version: string, mode: 'deploy' | 'rollback' | 'restore', described: ActionDescription, title = `activate ${version}`): PlanStep {
  return step({ id: 'activate', kind: 'activate', phase: 'change', title, params: { version, mode }, commands: described.commands, effects: described.effects });
}

export function markGoodStep(version: string, previous: string | null): PlanStep {
  return step({ id: 'mark-good', kind: 'mark-good', phase: 'finalize', title: `mark ${version} good`, params: { version, previous } });
}

export function pruneStep(keep: number): PlanStep {
  return step({
    id: 'prune',
    kind: 'prune',
    phase: 'finalize',
    title: `prune release directories beyond ${keep}, rollback targets kept first`,
    params: { keep },
    effects: [
      'never the current release, the last known good release, or one an operation is using',
      'failed, rolled-back and never-deployed releases go before good ones; newest kept first within each',
      "drop artifact store entries no release needs (kept: in use, the newest good, registered and not deployed yet)",
    ],
  });
}

export function rollbackStartStep(from: string | null, to: string): PlanStep {
  return step({ id: 'rollback-start', kind: 'rollback-start', phase: 'preflight', title: `rollback_start ${from ?? 'none'} → ${to}`, params: { from, to } });
}

export function rollbackCompleteStep(from: string | null, to: string): PlanStep {
  return step({ id: 'rollback-complete', kind: 'rollback-complete', phase: 'finalize', title: `rollback_complete: ${to} is current and good`, params: { from, to } });
}

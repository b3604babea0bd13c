import type { EnvironmentConfig } from '../../config/config-schema.js';
import type { BackupRecord, ReleaseRecord } from '../../ports/ledger.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanStep } from '../plan.js';
import { healthStep, smokeStep } from './steps/checks.js';
import { restoreSteps, type BackupDescription } from './steps/database.js';
import { activateStep } from './steps/release.js';
import type { TargetDescriber } from './target-describer.js';

export interface RestorePlanInput {
  env: string;
  config: EnvironmentConfig;
  target: TargetDescriber;
  current: ReleaseRecord | null;
  backup: BackupRecord;
  safetyBackup: BackupDescription;
  reason: string;
}

/** `rewind db restore`: the restore sequence, then the running release started again and probed. Pure. */
export function planRestore(input: RestorePlanInput): Plan {
  const { config, current, backup, target } = input;
  const notes = [
    `restore backup #${backup.id} (${backup.kind}, taken ${new Date(backup.createdAt).toISOString()}${backup.releaseVersion ? ` while ${backup.releaseVersion} ran` : ''}, sha256 ${backup.sha256.slice(0, 12)}…)`,
    `reason: ${input.reason}`,
  ];
  let restart: PlanStep[] = [];
  if (current) {
    const activate = target.describeActivate(current.version);
    restart = [
      activateStep(current.version, 'restore', activate, `start ${current.version} again`),
      ...(config.health ? [healthStep('health', config, current.version, 'verify')] : []),
      ...smokeStep(config, current.version),
    ];
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
    steps: [...restoreSteps(backup.id, current?.version ?? null, input.safetyBackup, [], current?.version ?? null), ...restart],
  };
}

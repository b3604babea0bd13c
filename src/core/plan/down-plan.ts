import type { ReleaseRecord } from '../../ports/ledger.js';
import { describeDownTarget, type DownTarget } from '../database/database-down.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../plan.js';
import { downSteps, type BackupDescription } from './steps/database.js';

export interface DownPlanInput {
  env: string;
  current: ReleaseRecord;
  down: DownTarget;
  safetyBackup: BackupDescription;
  reason: string;
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

import type { PlanStep } from '../../plan.js';
import { step } from './step.js';

/** Step builders for a release's feature flags (plain data, no I/O). */

/** Rollback: the rolled-back release's declared flags turned off, once the older release serves. */
export function flagsOffStep(version: string, flags: string[], source: string): PlanStep {
  return step({
    id: 'flags-off',
    kind: 'flags-off',
    phase: 'finalize',
    title: `turn off the flags of ${version}`,
    params: { version, flags },
    effects: [`set ${flags.join(', ')} to false in the ${source}, keeping every other flag`, 'a failure is a warning (flags_failed): the rollback stands'],
  });
}

/** Deploy of a release whose flags a rollback turned off (a roll-forward): they go back to what they were. */
export function flagsRestoreStep(version: string, off: Record<string, boolean | null>, source: string): PlanStep {
  return step({
    id: 'flags-restore',
    kind: 'flags-restore',
    phase: 'finalize',
    title: `restore the flags of ${version}`,
    params: { version },
    effects: [`put ${Object.entries(off).map(([k, v]) => `${k}=${v === null ? '(absent)' : v}`).join(', ')} back in the ${source}`, 'a failure is a warning (flags_failed): the deploy stands'],
  });
}

import type { Target } from '../../ports/target.js';

/** The target's pure describers; the planners call nothing else on it. */
export type TargetDescriber = Pick<Target, 'describePrepare' | 'describeActivate' | 'describeStartOnSlot' | 'capabilities' | 'type' | 'releaseDir'>;

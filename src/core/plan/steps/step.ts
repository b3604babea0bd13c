import type { PlanStep } from '../../plan.js';

/** The one shape every step builder returns: plain data, no I/O; no commands and no effects unless given. */
export const step = (s: Omit<PlanStep, 'commands' | 'effects'> & Partial<Pick<PlanStep, 'commands' | 'effects'>>): PlanStep => ({
  commands: [],
  effects: [],
  ...s,
});

import type { Plan } from '../core/plan.js';
import { describeCommand } from '../exec/process-executor.js';
import { redactor } from '../util/redact.js';

/** The human print of a plan: every step, every argv, every effect, and why. */
export function renderPlan(plan: Plan): string {
  const lines = [`plan (format v${plan.version}): ${plan.kind} ${plan.env}: ${plan.from ?? 'none'} → ${plan.to}`];
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  plan.steps.forEach((step, index) => {
    lines.push(`  ${String(index + 1).padStart(2)}. [${step.phase}] ${step.title}`);
    for (const command of step.commands) lines.push(`        $ ${describeCommand(command)}${command.cwd ? `   (cwd ${command.cwd})` : ''}`);
    for (const effect of step.effects) lines.push(`        · ${effect}`);
  });
  return redactor.redact(lines.join('\n'));
}

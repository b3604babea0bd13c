import type { OperationOutcome } from '../../core/operations/operation-lifecycle.js';
import { redactor } from '../../util/redact.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { renderPlan } from '../render-plan.js';
import { toJson } from '../../util/iso-times.js';

/** Dry-runs print the plan; real runs already streamed their events. A failed run throws its coded error. */
export function finishOperation(outcome: OperationOutcome, io: CliIo, json: boolean): number {
  if (outcome.dryRun) {
    writeLine(io.stdout, json ? toJson(redactor.redactValue({ dryRun: true, plan: outcome.plan })) : `${renderPlan(outcome.plan)}\n(dry run: nothing was changed)`);
    return 0;
  }
  if (outcome.error) throw outcome.error;
  return 0;
}

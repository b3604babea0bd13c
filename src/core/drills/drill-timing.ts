import type { Ledger, StepRecord } from '../../ports/ledger.js';
import { firstFailedStep } from '../incidents/incident-severity.js';

/** The checks whose passing after a rollback means service is restored (as the incident timeline reads it). */
const VERIFY_KINDS = new Set(['health', 'smoke', 'watch', 'db-verify']);

export interface DrillTimes {
  /** When the deploy of the drill release started (its operation's start). */
  startedAt: number;
  /** When its first check failed; null: nothing failed (the injected failure went unnoticed). */
  detectedAt: number | null;
  detectedBy: string | null;
  /** When the rollback's checks had all passed; null: not restored (or no rollback ran). */
  restoredAt: number | null;
  restoredBy: string[];
  ttdMs: number | null;
  ttrMs: number | null;
}

const endOf = (s: StepRecord) => s.finishedAt ?? s.startedAt;

/**
 * Time to detect and time to recover, read from the journal only (operation and step times the
 * runner recorded as it went), never from clocks around the command: the same ledger gives the same
 * numbers whenever it is read.
 */
export async function drillTimes(ledger: Ledger, deployOperationId: string, rollbackOperationId: string | null): Promise<DrillTimes> {
  const deploy = await ledger.getOperation(deployOperationId);
  const startedAt = deploy?.startedAt ?? 0;
  const failed = firstFailedStep(await ledger.listSteps(deployOperationId));
  const detectedAt = failed ? endOf(failed) : null;
  let restoredAt: number | null = null;
  let restoredBy: string[] = [];
  if (rollbackOperationId) {
    const rollback = await ledger.getOperation(rollbackOperationId);
    if (rollback?.state === 'succeeded') {
      const steps = await ledger.listSteps(rollbackOperationId);
      const checks = steps.filter((s) => VERIFY_KINDS.has(s.kind));
      if (checks.length > 0 && checks.every((s) => s.state === 'succeeded')) {
        restoredAt = Math.max(...checks.map(endOf));
        restoredBy = checks.map((s) => s.stepId);
      } else if (checks.length === 0) {
        restoredAt = rollback.finishedAt;
      }
    }
  }
  return {
    startedAt,
    detectedAt,
    detectedBy: failed?.stepId ?? null,
    restoredAt,
    restoredBy,
    ttdMs: detectedAt !== null ? detectedAt - startedAt : null,
    ttrMs: detectedAt !== null && restoredAt !== null ? restoredAt - detectedAt : null,
  };
}

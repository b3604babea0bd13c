import type { EventName } from '../events/event-catalog.js';

/**
 * What a long step says while it runs (a health check between its retries, a smoke suite between
 * its requests, a backup while the dump streams), so a person watching never faces a silent screen.
 *
 * The runner turns each update into a `step_progress` event for the live views only (the human step
 * list and `--json` stdout); the ledger's audit table and the log file keep the step's outcome
 * (`step_complete` and the journal's detail), not every tick. A reporter never throws and never
 * fails a step: a view that cannot be written to is no reason to stop a deploy.
 */
export interface StepProgress {
  /** One line for people: "attempt 3/7: status 500, expected 200". */
  message: string;
  /** How far along, when the work is counted: attempt 3 of 7, smoke step 2 of 5, bytes written. */
  current?: number;
  total?: number;
}

export type ProgressReporter = (update: StepProgress) => Promise<void>;

/** For callers outside a step (advise's one probe, `rewind smoke`): progress goes nowhere. */
export const noProgress: ProgressReporter = async () => undefined;

/** Events that only live views show; record-keeping sinks (ledger audit, log file) leave them out. */
export const LIVE_ONLY_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['step_progress']);

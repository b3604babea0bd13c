import { hintFor, RewindError } from '../../errors/rewind-error.js';
import type { RunResult } from '../run/runner.js';

/**
 * The error of an operation that stopped at a preflight step, before anything changed. It always
 * exits 6 (REWIND_E_PREFLIGHT_FAILED), whatever the step reported, so a script can tell "stopped,
 * nothing changed" from every other ending by the exit code alone; the step's own code is kept as
 * the cause (in the message, `details.cause` and `--json`), with its hint, so nothing is lost.
 *
 * `stopped` says what stopped, e.g. "deploy of 1.2.0 stopped before activation — nothing changed —".
 */
export function preflightStop(stopped: string, result: RunResult, details: Record<string, unknown>): RewindError {
  const step = result.failedStep!.id;
  const cause = result.outcome!.code;
  const own = cause !== undefined && cause !== 'REWIND_E_PREFLIGHT_FAILED';
  return new RewindError('REWIND_E_PREFLIGHT_FAILED', `${stopped} at ${step}${own ? ` (cause ${cause})` : ''}: ${result.outcome!.message}`, {
    ...details,
    step,
    ...(own ? { cause, causeHint: hintFor(cause, details) } : {}),
  });
}

/** A step's or check's result as a value, never an exception: callers decide what a failure means. */
import type { ErrorCode } from '../errors/error-registry.js';

export type OutcomeStatus = 'succeeded' | 'failed' | 'error' | 'inconclusive';

export interface Outcome {
  status: OutcomeStatus;
  message: string;
  detail?: Record<string, unknown>;
  /** The registry code to report when this outcome ends an operation. */
  code?: ErrorCode;
  /**
   * A failure that left the world as it was: refused before acting, or undone by the step itself.
   * The runner then treats the step like a preflight stop (no rollback is needed for it).
   */
  unchanged?: boolean;
}

export const succeeded = (message: string, detail?: Record<string, unknown>): Outcome => ({ status: 'succeeded', message, detail });
export const failed = (message: string, detail?: Record<string, unknown>, code?: ErrorCode): Outcome => ({ status: 'failed', message, detail, code });
export const errored = (message: string, detail?: Record<string, unknown>): Outcome => ({ status: 'error', message, detail });

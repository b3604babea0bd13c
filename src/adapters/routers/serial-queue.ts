import { RewindError } from '../../errors/rewind-error.js';

/**
 * Runs changes one at a time: two switches racing on one router would interleave file writes or
 * runtime-API commands and leave a split nobody asked for. After close() it refuses new work.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Throws once close() was called, for calls that need no turn in the queue (reads). */
  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** Waits for the change in progress (if any) and refuses later ones. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}

function closedError(): RewindError {
  return new RewindError('REWIND_E_INTERNAL', 'traffic router used after close()');
}

import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { lintFileBatch, prepareLinter } from './lint-sql.js';
import { claimBatches } from './lint-batches.js';
import { LINT_DIALECTS } from './lint-dialects.js';
import type { LintParentMessage, LintWorkerInput, LintWorkerMessage } from './lint-parallel.js';

/**
 * A `rewind lint` worker thread: loads the parser, then takes batches of files from the shared
 * board until none are left, reads and lints them, and sends each batch's findings, keyed by batch
 * number, as soon as it is done. (No top-level await: the bundle builds this entry as CommonJS,
 * which a worker starts faster than an ES module.)
 */
async function main(input: LintWorkerInput): Promise<void> {
  const post = (message: LintWorkerMessage): void => parentPort!.postMessage(message);
  post({ booted: true }); // the parent may change V8's flags now (see lintFiles)
  lowerThreadPriority();
  try {
    // A parser that compiles to WebAssembly (PostgreSQL's) comes compiled from the parent thread (which compiles it anyway).
    const compiled = LINT_DIALECTS[input.engine].compiledParser ? new Promise<WebAssembly.Module>((resolve) => parentPort!.once('message', (m: LintParentMessage) => resolve(m.parserModule))) : undefined;
    await prepareLinter(input.engine, compiled);
    const read = (batch: readonly { path: string; absolute: string }[]) => batch.map((f) => ({ path: f.path, sql: readFileSync(f.absolute, 'utf8') }));
    claimBatches(input.files, input.batchSize, input.board, (batch) => lintFileBatch(read(batch), input.engine), (index, part) => post({ index, part }));
    post({ end: true });
  } catch (error) {
    post({ error: (error as Error).stack ?? String(error) });
  }
}

/**
 * The worker is a helper: it should run on a core nobody else wants, not take CPU from the main
 * thread (which does the same work, and lints again any batch a worker has not finished when it
 * runs out) or from other programs on a busy machine. On Linux a thread has its own nice value,
 * set through its thread id; elsewhere, or if it is not allowed, this does nothing.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // no /proc/thread-self (not Linux) or not permitted: normal priority
  }
}

void main(workerData as LintWorkerInput);

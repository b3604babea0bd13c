import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { lintFileBatch, prepareLinter, type LintPart } from '../lint/lint-sql.js';
import { claimBatches } from './lint-batches.js';
import type { LintWorkerInput } from './lint-parallel.js';

/**
 * A `rewind lint` worker thread: loads the parser, then takes batches of files from the shared
 * counter until none are left, reads and lints them, and sends back each batch's findings keyed
 * by batch number. (No top-level await: the bundle builds this entry as CommonJS, which a worker
 * starts faster than an ES module.)
 */
async function main(input: LintWorkerInput): Promise<void> {
  try {
    await prepareLinter(input.engine);
    const parts: [number, LintPart][] = claimBatches(input.files, input.batchSize, new Int32Array(input.counter), (batch) =>
      lintFileBatch(
        batch.map((f) => ({ path: f.path, sql: readFileSync(f.absolute, 'utf8') })),
        input.engine,
      ),
    );
    parentPort!.postMessage({ parts });
  } catch (error) {
    parentPort!.postMessage({ error: (error as Error).stack ?? String(error) });
  }
}

void main(workerData as LintWorkerInput);

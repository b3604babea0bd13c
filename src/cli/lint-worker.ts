import { parentPort, workerData } from 'node:worker_threads';
import { lintFileBatch, prepareLinter, type LintPart } from '../lint/lint-sql.js';
import type { LintEngine, MigrationSource } from '../lint/lint-types.js';
import { claimBatches } from './lint-batches.js';

/**
 * A `rewind lint` worker thread: loads the parser, then takes batches of files from the shared
 * counter until none are left, and sends back each batch's findings keyed by batch number.
 */
interface WorkerInput {
  sources: MigrationSource[];
  engine: LintEngine;
  batchSize: number;
  counter: SharedArrayBuffer;
}

const input = workerData as WorkerInput;
try {
  await prepareLinter(input.engine);
  const parts: [number, LintPart][] = claimBatches(input.sources, input.batchSize, new Int32Array(input.counter), (batch) => lintFileBatch(batch, input.engine));
  parentPort!.postMessage({ parts });
} catch (error) {
  parentPort!.postMessage({ error: (error as Error).stack ?? String(error) });
}

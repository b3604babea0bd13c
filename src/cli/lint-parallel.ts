import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { combineLintParts, lintFileBatch, lintMigrations, prepareLinter, type LintPart } from '../lint/lint-sql.js';
import type { LintEngine, LintResult, MigrationSource } from '../lint/lint-types.js';
import { batchCount, claimBatches, createBatchBoard, takeBatch, type BatchBoard } from './lint-batches.js';
import type { FoundFile } from './lint-file-walker.js';
import { packageRoot } from '../util/package-root.js';

/**
 * Reads and lints the files `rewind lint` found, on several cores when the input is big enough.
 * A worker costs a thread start and its own parser load, and on a busy machine it competes for the
 * same cores, so workers start only from 1 MiB of SQL (about 12,000 statements), unless
 * REWIND_LINT_THREADS asks for them: measured on 2 cores, one worker paid for itself from about
 * that size. To pay as little as possible for it, a worker is started before anything else happens
 * (the sizes come from the file system, not from reading), loads its parser while the main thread
 * loads its own and reads the files, and reads the files of the batches it takes itself.
 * Files are independent of each other, so splitting them cannot change the result; the verdict is
 * decided once, over all of them.
 */
const PARALLEL_MIN_BYTES = 1024 * 1024;
const BATCH_SIZE = 25;
// Always the built worker: the bundle's CommonJS entry when there is one (it starts faster), else tsc's output.
const WORKER_DIR = join(packageRoot(), 'dist', 'cli');
const WORKERS = [join(WORKER_DIR, 'lint-worker.cjs'), join(WORKER_DIR, 'lint-worker.js')];

/** What a worker thread is given: files to read (by absolute path) and the shared batch board. */
export interface LintWorkerInput {
  files: { path: string; absolute: string }[];
  engine: LintEngine;
  batchSize: number;
  board: BatchBoard;
}

/** One batch's findings, a failure, or the end (nothing left to claim). */
export type LintWorkerMessage = { index: number; part: LintPart } | { error: string } | { end: true };

/** @param requestedThreads REWIND_LINT_THREADS: 1 never starts workers; N ≥ 2 uses up to N whatever the input size. */
export async function lintFiles(found: readonly FoundFile[], engine: LintEngine, requestedThreads?: number): Promise<LintResult> {
  // Loading the parser (its WebAssembly compiles on V8's background threads) overlaps starting the
  // workers and reading the files: it is what the main thread waits for before it can lint.
  const parserReady = prepareLinter(engine);
  parserReady.catch(() => undefined); // awaited below, after the files are read
  const files = found.map((f) => ({ path: f.display, absolute: f.absolute }));
  const threads = Math.min(requestedThreads ?? availableParallelism(), 8, Math.ceil(files.length / BATCH_SIZE));
  const worker = WORKERS.find((w) => existsSync(w));
  // The worker is compiled .js next to this module; under a TypeScript test runner it is absent.
  const parallel = threads >= 2 && worker !== undefined && (requestedThreads !== undefined ? requestedThreads >= 2 : totalBytes(files) >= PARALLEL_MIN_BYTES);

  const batches = batchCount(files.length, BATCH_SIZE);
  const board = createBatchBoard(batches);
  const parts: (LintPart | undefined)[] = new Array(batches).fill(undefined);
  let missing = batches;
  let allDelivered: () => void = () => undefined;
  const complete = new Promise<void>((resolve) => (allDelivered = resolve));
  const deliver = (index: number, part: LintPart): void => {
    if (parts[index] !== undefined) return;
    parts[index] = part;
    missing -= 1;
    if (missing === 0) allDelivered();
  };
  const workers = parallel ? Array.from({ length: threads - 1 }, () => runWorker(worker, { files, engine, batchSize: BATCH_SIZE, board }, deliver)) : [];
  let sources: MigrationSource[];
  try {
    sources = files.map((f) => ({ path: f.path, sql: readFileSync(f.absolute, 'utf8') }));
    await parserReady;
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop()));
    throw error;
  }
  if (!parallel) return lintMigrations(sources, { engine });

  // The main thread works too, while the workers start.
  const lint = (batch: readonly MigrationSource[]): LintPart => lintFileBatch(batch, engine);
  claimBatches(sources, BATCH_SIZE, board, lint, deliver);
  // Nothing left to claim: lint here whatever a worker claimed but has not finished, rather than
  // wait for it. What a worker did finish is in its messages, which arrive once this thread awaits.
  for (let b = 0; b < batches; b += 1) {
    if (parts[b] === undefined && takeBatch(board, b)) deliver(b, lint(sources.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE)));
  }
  try {
    if (missing > 0) await Promise.race([complete, ...workers.map((w) => w.failed)]);
  } catch {
    // A worker that cannot start or dies must not cost the answer: lint everything here instead.
    return lintMigrations(sources, { engine });
  } finally {
    // A worker may still be linting a batch this thread did again; its copy is not needed.
    for (const w of workers) void w.stop();
  }
  return combineLintParts(parts as LintPart[], engine, sources.length);
}

function totalBytes(files: readonly { absolute: string }[]): number {
  let bytes = 0;
  for (const f of files) {
    bytes += statSync(f.absolute, { throwIfNoEntry: false })?.size ?? 0;
    if (bytes >= PARALLEL_MIN_BYTES) break;
  }
  return bytes;
}

/** Starts a worker; each batch it delivers goes to `deliver`. `failed` rejects if it fails or exits before it is done. */
function runWorker(path: string, workerData: LintWorkerInput, deliver: (index: number, part: LintPart) => void): { failed: Promise<never>; stop: () => Promise<unknown> } {
  const worker = new Worker(path, { workerData });
  let finished = false;
  const failed = new Promise<never>((_, reject) => {
    worker.on('message', (message: LintWorkerMessage) => {
      if ('part' in message) deliver(message.index, message.part);
      else if ('error' in message) reject(new Error(`lint worker failed: ${message.error}`));
      else finished = true;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!finished) reject(new Error(`lint worker exited with code ${code} before it was done`));
    });
  });
  failed.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
  return {
    failed,
    stop: () => {
      finished = true;
      worker.unref();
      return worker.terminate();
    },
  };
}

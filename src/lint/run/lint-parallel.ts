import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { combineLintParts, lintFileBatch, lintMigrations, prepareLinter, type LintPart } from './lint-sql.js';
import type { LintEngine, LintResult, MigrationSource } from '../lint-types.js';
import { batchCount, claimBatches, createBatchBoard, takeBatch, type BatchBoard } from './lint-batches.js';
import type { FoundFile } from './lint-file-walker.js';
import { LINT_DIALECTS } from './lint-dialects.js';
import { packageRoot } from '../../util/package-root.js';

/**
 * Reads and lints the files `rewind lint` found, on several cores when the input is big enough.
 * A worker costs a thread start and its own parser load, and on a busy machine it competes for the
 * same cores, so workers start only from 1 MiB of SQL (about 12,000 statements), unless
 * REWIND_LINT_THREADS asks for them: measured on 2 cores, one worker paid for itself from about
 * that size. To pay as little as possible for it, a worker is started before anything else happens
 * (the sizes come from the file system, not from reading), boots while the main thread reads the
 * files, is handed the parser the main thread compiled, and reads the files of the batches it takes.
 * Files are independent of each other, so splitting them cannot change the result; the verdict is
 * decided once, over all of them.
 */
const PARALLEL_MIN_BYTES = 1024 * 1024;
const BATCH_SIZE = 25;
// Always the built worker: the bundle's CommonJS entry when there is one (it starts faster; it sits
// next to the bundled CLI, and the package check expects it there), else tsc's output of lint-worker.ts.
const WORKERS = [join(packageRoot(), 'dist', 'cli', 'lint-worker.cjs'), join(packageRoot(), 'dist', 'lint', 'run', 'lint-worker.js')];

/** What a worker thread is given: files to read (by absolute path) and the shared batch board. */
export interface LintWorkerInput {
  files: { path: string; absolute: string }[];
  engine: LintEngine;
  batchSize: number;
  board: BatchBoard;
}

/** What the parent sends a worker once it has it: the parser's compiled WebAssembly (dialects with LintDialect.compiledParser). */
export interface LintParentMessage {
  parserModule: WebAssembly.Module;
}

/** Booted (its first line ran), one batch's findings, a failure, or the end (nothing left to claim). */
export type LintWorkerMessage = { booted: true } | { index: number; part: LintPart } | { error: string } | { end: true };

export interface LintFilesOptions {
  /** REWIND_LINT_THREADS: 1 never starts workers; N ≥ 2 uses up to N whatever the input size. */
  threads?: number;
  /**
   * This process exits after this one lint (the CLI does), so lintFiles may set V8's process-wide
   * flags the dialect's parser wants (LintDialect.oneRunV8Flags: PostgreSQL's, and why, are in
   * lint-dialects.ts). It sets them once its workers have booted (see below), and before the
   * parser compiles.
   */
  tuneV8ForOneRun?: boolean;
  /** Filled in with who linted what (for the benchmark and the tests). */
  stats?: LintThreadStats;
}

export interface LintThreadStats {
  workers: number;
  batches: number;
  /** Batches whose findings came from a worker thread. */
  byWorkers: number;
  /** Workers handed the main thread's compiled PostgreSQL parser (all of them, once it compiled). */
  parserHandedOver: number;
}

/** How long the main thread waits for its workers to boot before it changes V8's flags anyway. */
const WORKER_BOOT_WAIT_MS = 150;

export async function lintFiles(found: readonly FoundFile[], engine: LintEngine, options: LintFilesOptions = {}): Promise<LintResult> {
  const requestedThreads = options.threads;
  const dialect = LINT_DIALECTS[engine];
  const files = found.map((f) => ({ path: f.display, absolute: f.absolute }));
  const threads = Math.min(requestedThreads ?? availableParallelism(), 8, Math.ceil(files.length / BATCH_SIZE));
  const worker = WORKERS.find((w) => existsSync(w));
  // The worker is compiled .js next to this module; under a TypeScript test runner it is absent.
  const parallel = threads >= 2 && worker !== undefined && (requestedThreads !== undefined ? requestedThreads >= 2 : totalBytes(files) >= PARALLEL_MIN_BYTES);
  const loadParser = (): Promise<void> => {
    if (options.tuneV8ForOneRun && dialect.oneRunV8Flags !== undefined) setFlagsFromString(dialect.oneRunV8Flags);
    const ready = prepareLinter(engine);
    ready.catch(() => undefined); // awaited below, after the files are read
    return ready;
  };
  // Alone, this thread loads the parser first: its WebAssembly compiles on V8's background threads
  // while the files are read.
  let parserReady = parallel ? undefined : loadParser();

  const batches = batchCount(files.length, BATCH_SIZE);
  const board = createBatchBoard(batches);
  const parts: (LintPart | undefined)[] = new Array(batches).fill(undefined);
  let missing = batches;
  let allDelivered: () => void = () => undefined;
  const complete = new Promise<void>((resolve) => (allDelivered = resolve));
  const stats = options.stats ?? { workers: 0, batches: 0, byWorkers: 0, parserHandedOver: 0 };
  Object.assign(stats, { workers: 0, batches, byWorkers: 0, parserHandedOver: 0 });
  const deliver = (index: number, part: LintPart, fromWorker = false): void => {
    if (parts[index] !== undefined) return;
    parts[index] = part;
    if (fromWorker) stats.byWorkers += 1;
    missing -= 1;
    if (missing === 0) allDelivered();
  };
  const workers = parallel ? Array.from({ length: threads - 1 }, () => runWorker(worker, { files, engine, batchSize: BATCH_SIZE, board }, (index, part) => deliver(index, part, true))) : [];
  stats.workers = workers.length;
  let sources: MigrationSource[];
  try {
    sources = files.map((f) => ({ path: f.path, sql: readFileSync(f.absolute, 'utf8') }));
    if (parallel) {
      // Changing any V8 flag makes a thread that boots afterwards compile Node's own modules
      // without their code cache (measured: a worker's boot 45 → 75 ms, and twice that while this
      // thread competes for the cores), so the flag and the parser wait until the workers have
      // booted, which they do while this thread reads the files. Workers are then handed this
      // thread's compiled parser rather than compile their own (a module is shared, not copied).
      await Promise.race([Promise.all(workers.map((w) => w.booted)), delay(WORKER_BOOT_WAIT_MS, undefined, { ref: false })]);
      parserReady = loadParser();
      if (dialect.compiledParser) {
        const handOver = (parserModule: WebAssembly.Module): void => {
          for (const w of workers) w.send({ parserModule });
          stats.parserHandedOver = workers.length;
        };
        dialect.compiledParser().then(handOver, () => undefined);
      }
    }
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
function runWorker(path: string, workerData: LintWorkerInput, deliver: (index: number, part: LintPart) => void): { booted: Promise<void>; failed: Promise<never>; send: (message: LintParentMessage) => void; stop: () => Promise<unknown> } {
  const worker = new Worker(path, { workerData });
  let finished = false;
  let booted: () => void = () => undefined;
  const bootedPromise = new Promise<void>((resolve) => (booted = resolve));
  const failed = new Promise<never>((_, reject) => {
    worker.on('message', (message: LintWorkerMessage) => {
      if ('booted' in message) booted();
      else if ('part' in message) deliver(message.index, message.part);
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
    booted: bootedPromise,
    failed,
    send: (message) => worker.postMessage(message),
    stop: () => {
      finished = true;
      worker.unref();
      return worker.terminate();
    },
  };
}

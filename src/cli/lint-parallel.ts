import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { combineLintParts, lintFileBatch, lintMigrations, prepareLinter, type LintPart } from '../lint/lint-sql.js';
import type { LintEngine, LintResult, MigrationSource } from '../lint/lint-types.js';
import { claimBatches } from './lint-batches.js';
import { packageRoot } from '../util/package-root.js';

/**
 * Runs the (pure, per-file) linter on several cores for very big inputs. A worker costs a thread
 * start and its own parser load, and on a busy machine it competes for the same cores: measured on
 * 2 cores, workers gained nothing at 20,000 statements (and lost under load) and about 8% at
 * 200,000. So they start only from 8 MB of SQL, unless REWIND_LINT_THREADS asks for them. Files are
 * independent of each other, so splitting them cannot change the result; the verdict is decided
 * once, over all of them.
 */
const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
const BATCH_SIZE = 25;
// Always the built worker (tsc output or the bundle's own entry point, both at this path).
const WORKER = join(packageRoot(), 'dist', 'cli', 'lint-worker.js');

/** @param requestedThreads REWIND_LINT_THREADS: 1 never starts workers; N ≥ 2 uses up to N whatever the input size. */
export async function lintSources(sources: MigrationSource[], engine: LintEngine, requestedThreads?: number): Promise<LintResult> {
  const bytes = sources.reduce((sum, s) => sum + s.sql.length, 0);
  const threads = Math.min(requestedThreads ?? availableParallelism(), 8, Math.ceil(sources.length / BATCH_SIZE));
  const wanted = requestedThreads !== undefined || bytes >= PARALLEL_MIN_BYTES;
  // The worker is the compiled .js next to this module; under a TypeScript test runner it is absent.
  if (!wanted || threads < 2 || !existsSync(WORKER)) return lintMigrations(sources, { engine });

  const counter = new SharedArrayBuffer(4);
  const workers = Array.from({ length: threads - 1 }, () => runWorker({ sources, engine, batchSize: BATCH_SIZE, counter }));
  // The main thread works too, while the workers start.
  await prepareLinter(engine);
  const mine = claimBatches(sources, BATCH_SIZE, new Int32Array(counter), (batch) => lintFileBatch(batch, engine));
  let theirs: [number, LintPart][][];
  try {
    theirs = await Promise.all(workers);
  } catch {
    // A worker that cannot start or dies must not cost the answer: lint everything here instead.
    return lintMigrations(sources, { engine });
  }
  const parts = [...mine, ...theirs.flat()].sort((a, b) => a[0] - b[0]).map(([, part]) => part);
  return combineLintParts(parts, engine, sources.length);
}

function runWorker(workerData: { sources: MigrationSource[]; engine: LintEngine; batchSize: number; counter: SharedArrayBuffer }): Promise<[number, LintPart][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData });
    worker.once('message', (message: { parts?: [number, LintPart][]; error?: string }) => {
      if (message.parts) resolve(message.parts);
      else reject(new Error(`lint worker failed: ${message.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`lint worker exited with code ${code}`));
    });
  });
}

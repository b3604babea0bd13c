import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from './support/lint-corpus.js';
import { batchCount, createBatchBoard } from '../src/lint/run/lint-batches.js';
import { findSqlFiles } from '../src/lint/run/lint-file-walker.js';
import { lintFiles, type LintThreadStats, type LintWorkerInput, type LintWorkerMessage } from '../src/lint/run/lint-parallel.js';
import { combineLintParts, type LintPart } from '../src/lint/run/lint-sql.js';
import { pgParserModule } from '../src/lint/postgres/pg-parser-module.js';

const WORKER = join(import.meta.dirname, '..', 'dist', 'cli', 'lint-worker.cjs');

// `rewind lint` on several threads: the worker thread (always the built one in dist/cli) boots,
// is handed the main thread's compiled PostgreSQL parser instead of compiling its own, and lints
// part of the files; the report is the single-thread report, byte for byte. How many batches a
// worker gets is the scheduler's business (at nice 10 on a saturated machine it may get none), so
// the hand-over and the worker's own work are checked where they do not depend on it.
describe('lintFiles on worker threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-lint-parallel-'));
  let statements = 0;
  // 2,000 files (80 batches): the main thread alone needs far longer than a worker's boot, so the worker gets batches.
  beforeAll(() => {
    statements = generateCorpus(join(dir, 'corpus'), 2000, 10);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the main thread hands its compiled parser to the worker, and the report does not change', async () => {
    expect(existsSync(WORKER), 'build first: npm run build').toBe(true);
    const found = findSqlFiles([join(dir, 'corpus')], dir);
    // tuneV8ForOneRun stays off: V8's flags are process-wide, and this process is the test runner.
    const stats: LintThreadStats = { workers: 0, batches: 0, byWorkers: 0, parserHandedOver: 0 };
    const parallel = await lintFiles(found, 'postgres', { threads: 2, stats });
    const single = await lintFiles(found, 'postgres', { threads: 1 });

    expect(stats.workers).toBe(1);
    expect(stats.batches).toBe(80);
    expect(stats.parserHandedOver).toBe(1);
    expect(stats.byWorkers).toBeLessThan(80); // the main thread always lints too
    expect(parallel.statements).toBe(statements);
    expect(JSON.stringify(parallel)).toBe(JSON.stringify(single));
  }, 60_000);

  it('a worker given the compiled parser lints every batch it claims, exactly as one thread does', async () => {
    const found = findSqlFiles([join(dir, 'corpus')], dir).slice(0, 300);
    const files = found.map((f) => ({ path: f.display, absolute: f.absolute }));
    const batches = batchCount(files.length, 25);
    const input: LintWorkerInput = { files, engine: 'postgres', batchSize: 25, board: createBatchBoard(batches) };
    const worker = new Worker(WORKER, { workerData: input });
    const parts: LintPart[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (message: LintWorkerMessage) => {
          if ('booted' in message) void pgParserModule().then((pgModule) => worker.postMessage({ parserModule: pgModule }), reject);
          else if ('part' in message) parts[message.index] = message.part;
          else if ('error' in message) reject(new Error(message.error));
          else resolve();
        });
        worker.once('error', reject);
      });
    } finally {
      await worker.terminate();
    }
    // Alone on the board, it claimed and delivered all of them.
    expect(parts.filter(Boolean)).toHaveLength(batches);
    const single = await lintFiles(found, 'postgres', { threads: 1 });
    expect(JSON.stringify(combineLintParts(parts, 'postgres', files.length))).toBe(JSON.stringify(single));
  }, 60_000);

  it('one thread never starts a worker', async () => {
    const found = findSqlFiles([join(dir, 'corpus')], dir).slice(0, 50);
    const stats: LintThreadStats = { workers: 0, batches: 0, byWorkers: 0, parserHandedOver: 0 };
    const result = await lintFiles(found, 'postgres', { threads: 1, stats });
    expect(stats).toEqual({ workers: 0, batches: 2, byWorkers: 0, parserHandedOver: 0 });
    expect(result.files).toBe(50);
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../src/bench/lint-bench.js';
import { findSqlFiles } from '../src/cli/lint-file-walker.js';
import { lintFiles, type LintThreadStats } from '../src/cli/lint-parallel.js';

// `rewind lint` on several threads: the worker thread (always the built one in dist/cli) boots,
// is handed the main thread's compiled PostgreSQL parser instead of compiling its own, and lints
// part of the files; the report is the single-thread report, byte for byte.
describe('lintFiles on worker threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-lint-parallel-'));
  let statements = 0;
  // 2,000 files (80 batches): the main thread alone needs far longer than a worker's boot, so the worker gets batches.
  beforeAll(() => {
    statements = generateCorpus(join(dir, 'corpus'), 2000, 10);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a worker lints part of the files with the parser it was handed, and the report does not change', async () => {
    expect(existsSync(join(import.meta.dirname, '..', 'dist', 'cli', 'lint-worker.cjs')), 'build first: npm run build').toBe(true);
    const found = findSqlFiles([join(dir, 'corpus')], dir);
    // tuneV8ForOneRun stays off: V8's flags are process-wide, and this process is the test runner.
    const stats: LintThreadStats = { workers: 0, batches: 0, byWorkers: 0 };
    const parallel = await lintFiles(found, 'postgres', { threads: 2, stats });
    const single = await lintFiles(found, 'postgres', { threads: 1 });

    expect(stats.workers).toBe(1);
    expect(stats.batches).toBe(80);
    expect(stats.byWorkers).toBeGreaterThan(0);
    expect(stats.byWorkers).toBeLessThan(80);
    expect(parallel.statements).toBe(statements);
    expect(JSON.stringify(parallel)).toBe(JSON.stringify(single));
  }, 60_000);

  it('one thread never starts a worker', async () => {
    const found = findSqlFiles([join(dir, 'corpus')], dir).slice(0, 50);
    const stats: LintThreadStats = { workers: 0, batches: 0, byWorkers: 0 };
    const result = await lintFiles(found, 'postgres', { threads: 1, stats });
    expect(stats).toEqual({ workers: 0, batches: 2, byWorkers: 0 });
    expect(result.files).toBe(50);
  });
});

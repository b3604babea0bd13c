import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { writeHashed } from '../../src/adapters/databases/backup-digest.js';
import { describePipeline, ProcessExecutor } from '../../src/exec/process-executor.js';

// ProcessExecutor.runPipeline: argv stages joined by OS pipes, the ends handed to the caller.
const node = process.execPath;
const script = (code: string) => [node, '-e', code];
const executor = new ProcessExecutor();
const dir = mkdtempSync(join(tmpdir(), 'rewind-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ProcessExecutor.runPipeline', () => {
  it('connects stages without a shell and captures the last stage', async () => {
    const result = await executor.runPipeline([
      { argv: [...script('process.stdout.write(process.argv[1])'), 'a; echo $HOME | rev'] },
      { argv: script('process.stdin.pipe(process.stdout)') },
    ]);
    expect(result.ok).toBe(true);
    expect(result.stages.at(-1)!.stdout).toBe('a; echo $HOME | rev');
  });

  it('tells each stage\'s exit as it happens, while later stages still run', async () => {
    const told: { index: number; exitCode: number | null; at: number }[] = [];
    const result = await executor.runPipeline(
      [
        { argv: script("process.stdout.write('data'); process.exitCode = 3") },
        // Reads to the end, then keeps running: its exit must be told well after the first stage's.
        { argv: script("process.stdin.resume(); process.stdin.on('end', () => setTimeout(() => process.stdout.write('done'), 400))") },
      ],
      { onStageExit: (index, stage) => told.push({ index, exitCode: stage.exitCode, at: performance.now() }) },
    );
    expect(told.map(({ index, exitCode }) => [index, exitCode])).toEqual([
      [0, 3],
      [1, 0],
    ]);
    expect(told[1]!.at - told[0]!.at).toBeGreaterThan(250);
    expect(result.ok).toBe(false);
    expect(result.stages.at(-1)!.stdout).toBe('done');
  });

  it('hands the last stdout to a consumer that hashes it into a file', async () => {
    const file = join(dir, 'out.bin');
    let written: { size: number; sha256: string } | undefined;
    const result = await executor.runPipeline([{ argv: script("for (let i = 0; i < 2000; i++) process.stdout.write('x'.repeat(1000) + i)") }, { argv: ['gzip', '-1'] }], {
      stdout: async (source) => {
        written = await writeHashed(source, file);
      },
    });
    expect(result.ok).toBe(true);
    const bytes = readFileSync(file);
    expect(written).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  });

  it('feeds the first stdin from the caller', async () => {
    const result = await executor.runPipeline([{ argv: ['tr', 'a-z', 'A-Z'] }], {
      stdin: (sink) => pipeline(Readable.from(['hello ', 'pipeline']), sink),
    });
    expect(result.ok).toBe(true);
    expect(result.stages[0]!.stdout).toBe('HELLO PIPELINE');
  });

  it('treats a writer cut off by a reader that finished (like `yes | head`) as fine', async () => {
    const result = await executor.runPipeline([{ argv: ['yes'] }, { argv: ['head', '-n', '2'] }]);
    expect(result.stages[1]!.stdout).toBe('y\ny\n');
    expect(result.ok).toBe(true);
  });

  it('reports a stage that fails on its own even when the next one sees a clean end of input', async () => {
    const result = await executor.runPipeline([{ argv: script("process.stdout.write('partial'); process.exit(3)") }, { argv: ['cat'] }]);
    expect(result.stages.map((s) => s.exitCode)).toEqual([3, 0]);
    expect(result.ok).toBe(false);
  });

  it('reports a program that cannot start', async () => {
    const result = await executor.runPipeline([{ argv: ['rewind-no-such-program'] }, { argv: ['cat'] }]);
    expect(result.ok).toBe(false);
    expect(result.stages[0]!.stderr).toContain('cannot run rewind-no-such-program');
  });

  it('stops every stage and rejects when the consumer fails', async () => {
    const started = Date.now();
    await expect(
      executor.runPipeline([{ argv: ['yes'] }, { argv: ['cat'] }], {
        stdout: async (source) => {
          for await (const _chunk of source) throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kills the pipeline at the timeout', async () => {
    const result = await executor.runPipeline([{ argv: ['sleep', '10'], timeoutMs: 200 }, { argv: ['cat'] }]);
    expect(result.ok).toBe(false);
    expect(result.stages[0]!.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('describes a pipeline for dry-runs, redacted', () => {
    expect(describePipeline([{ argv: ['pg_dump', '--dbname=postgres://u@h/db'], redact: ['nope'] }, { argv: ['zstd', '-1'] }])).toBe('pg_dump --dbname=postgres://u@h/db | zstd -1');
    expect(describePipeline([{ argv: ['tool', '--password=hunter2-pw'], redact: ['hunter2-pw'] }])).toBe("tool '--password=***'");
  });
});

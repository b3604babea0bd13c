#!/usr/bin/env node
// Migration lint throughput: `rewind lint` against squawk-cli on the same generated corpus.
//
//   node dist-bench/bench/lint-bench.js                 2,000 files / 20,000 statements, writes docs/benchmarks.md
//   node dist-bench/bench/lint-bench.js --no-write      print only
//   node dist-bench/bench/lint-bench.js --repeats 11    runs per tool (default 7; the large corpus runs at most 5)
//   node dist-bench/bench/lint-bench.js --no-large      skip the 20,000-file / 200,000-statement corpus
//   SQUAWK_BIN=/path/to/squawk node dist-bench/bench/lint-bench.js
//
// Both tools run as a user runs them: one whole process per measurement (node start, parser load,
// reading files, linting, printing), timed from spawn to exit. squawk is installed from npm into a
// temp directory when it is not found; if it cannot be installed or run, the report says so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLI_MAIN, PACKAGE_ROOT } from './bench-util.js';
import { SECTION, mergeBenchmarkSection } from '../test/support/benchmark-section.js';
import { generateCorpus } from '../test/support/lint-corpus.js';

export interface LintBenchOptions {
  files?: number;
  statementsPerFile?: number;
  /** Whole-process runs per tool; the median is reported. */
  repeats?: number;
  /** Append or refresh the `## Migration lint` section of docs/benchmarks.md (default true). */
  writeDocs?: boolean;
  squawkBin?: string;
  /**
   * Files of the second, large corpus (default 20,000: 200,000 statements; 0 skips it). At 2,000
   * files a whole process is mostly start-up (Node, the parser's WebAssembly, squawk's wrapper);
   * ten times the statements shows what each tool does per statement once it runs.
   */
  largeFiles?: number;
}

export interface ToolTiming {
  tool: string;
  /** Median wall time of the whole process, ms. */
  medianMs: number;
  samplesMs: number[];
  statementsPerSecond: number;
  /** Median CPU time (user + system, all threads and child processes) of a run, ms; Linux only, in 10 ms clock ticks. */
  medianCpuMs?: number;
  exitCode: number | null;
}

/** The large corpus: the same tools on ten times the statements. */
export interface LargeCorpusResult {
  corpus: { files: number; statements: number };
  rewind: ToolTiming;
  rewindOneThread: ToolTiming;
  squawk?: ToolTiming;
}

export interface LintBenchResult {
  measuredAt: string;
  machine: string;
  corpus: { files: number; statements: number };
  rewind: ToolTiming;
  /** The same run with REWIND_LINT_THREADS=1: no worker thread (the default starts one from 1 MiB of SQL). */
  rewindOneThread: ToolTiming;
  rewindColdStartMs: { median: number; samples: number[] };
  squawk: (ToolTiming & { version: string; coldStartMs: number }) | { unavailable: string };
  large?: LargeCorpusResult;
  markdown: string;
}

interface Timed {
  code: number | null;
  ms: number;
  /** CPU time of the child and everything it waited for; undefined where /proc is missing. */
  cpuMs?: number;
  stdout: string;
  stderr: string;
}

function timed(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  const [program, ...args] = argv;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpuBefore = childrenCpuMs();
    const child = spawn(program!, args, { cwd, env, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const cpuAfter = childrenCpuMs();
      resolve({ code, ms: performance.now() - started, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/**
 * CPU time of this process's reaped children (and of the children they reaped), from
 * /proc/self/stat: Node has no getrusage(RUSAGE_CHILDREN). One child runs at a time, so the
 * difference around a run is that run's, squawk's native binary included (its wrapper waits for it).
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime), counted from the state field (3).
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
// sysconf(_SC_CLK_TCK) is 100 on every Linux build Node supports.
const CLOCK_TICKS = 100;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

/**
 * Whole-process timings of several commands, interleaved (a, b, a, b, …) after one warm-up run
 * each, so a busy machine slows every tool alike instead of whichever happened to run last.
 */
async function timeInterleaved(commands: { tool: string; argv: string[]; env?: NodeJS.ProcessEnv }[], cwd: string, repeats: number, statements: number): Promise<ToolTiming[]> {
  const samples = commands.map(() => [] as number[]);
  const cpu = commands.map(() => [] as number[]);
  const exitCodes = commands.map(() => null as number | null);
  for (const c of commands) {
    const warm = await timed(c.argv, cwd, c.env); // warms the OS file cache
    if (warm.code !== 0 && warm.stdout.length === 0) throw new Error(`${c.tool} failed (exit ${warm.code}): ${warm.stderr.slice(0, 500)}`);
  }
  for (let i = 0; i < repeats; i += 1) {
    for (const [k, c] of commands.entries()) {
      const run = await timed(c.argv, cwd, c.env);
      exitCodes[k] = run.code;
      samples[k]!.push(round(run.ms));
      if (run.cpuMs !== undefined) cpu[k]!.push(run.cpuMs);
    }
  }
  return commands.map((c, k) => {
    const med = median(samples[k]!);
    const medianCpuMs = cpu[k]!.length === repeats ? round(median(cpu[k]!)) : undefined;
    return { tool: c.tool, medianMs: round(med), samplesMs: samples[k]!, statementsPerSecond: Math.round(statements / (med / 1000)), medianCpuMs, exitCode: exitCodes[k]! };
  });
}

/** squawk from SQUAWK_BIN, the project's node_modules, or an npm install into a cached temp prefix. */
function findSquawk(explicit: string | undefined): { bin: string } | { unavailable: string } {
  const candidates = [explicit, process.env.SQUAWK_BIN, join(PACKAGE_ROOT, 'node_modules', '.bin', 'squawk'), join(tmpdir(), 'rewind-bench-squawk', 'node_modules', '.bin', 'squawk')];
  for (const c of candidates) if (c && existsSync(c)) return { bin: c };
  const prefix = join(tmpdir(), 'rewind-bench-squawk');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'squawk-cli'], { encoding: 'utf8', shell: false, timeout: 300_000 });
  const bin = join(prefix, 'node_modules', '.bin', 'squawk');
  if (install.status === 0 && existsSync(bin)) return { bin };
  return { unavailable: `npm install squawk-cli failed (exit ${install.status}): ${(install.stderr || String(install.error ?? '')).trim().split('\n').slice(-3).join(' ')}` };
}

function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${process.platform}`;
}

export async function runLintBench(options: LintBenchOptions = {}): Promise<LintBenchResult> {
  const files = options.files ?? 2000;
  const perFile = options.statementsPerFile ?? 10;
  const repeats = options.repeats ?? 7;
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (npm run build)`);
  const root = mkdtempSync(join(tmpdir(), 'rewind-lint-bench-'));
  try {
    const dir = join(root, 'migrations');
    const statements = generateCorpus(dir, files, perFile);
    const one = join(root, 'one.sql');
    writeFileSync(one, readFileSync(join(dir, '00000_migration.sql')));

    const node = process.execPath;
    const rewindWhole = { tool: 'rewind lint', argv: [node, CLI_MAIN, 'lint', dir, '--format', 'json'] };
    const rewindOneThread = { tool: 'rewind lint, REWIND_LINT_THREADS=1', argv: rewindWhole.argv, env: { ...process.env, REWIND_LINT_THREADS: '1' } };
    const rewindCold = { tool: 'rewind lint (one file)', argv: [node, CLI_MAIN, 'lint', one, '--format', 'json'] };
    const found = findSquawk(options.squawkBin);
    let squawkVersion: string | undefined;
    let unavailable: string | undefined;
    if ('unavailable' in found) unavailable = found.unavailable;
    else {
      const version = spawnSync(found.bin, ['--version'], { encoding: 'utf8', shell: false });
      if (version.status === 0) squawkVersion = version.stdout.trim();
      else unavailable = `${found.bin} --version failed (exit ${version.status}): ${(version.stderr || String(version.error ?? '')).trim()}`;
    }
    // squawk takes paths or globs it expands itself (a glob keeps argv short for 2,000 files).
    const squawkCommands =
      squawkVersion && 'bin' in found
        ? [
            { tool: 'squawk', argv: [found.bin, '--reporter', 'json', join(dir, '*.sql')] },
            { tool: 'squawk (one file)', argv: [found.bin, '--reporter', 'json', one] },
          ]
        : [];
    const timings = await timeInterleaved([rewindWhole, rewindOneThread, ...squawkCommands.slice(0, 1)], root, repeats, statements);
    const cold = await timeInterleaved([rewindCold, ...squawkCommands.slice(1)], root, repeats, perFile);
    const [rewind, rewindOneThreadTiming, squawkTiming] = timings;
    const squawk: LintBenchResult['squawk'] =
      squawkVersion && squawkTiming && cold[1] ? { ...squawkTiming, version: squawkVersion, coldStartMs: cold[1].medianMs } : { unavailable: unavailable ?? 'squawk was not run' };
    const coldSamples = cold[0]!.samplesMs;
    const large = (options.largeFiles ?? 20_000) > 0 ? await largeCorpus(root, options.largeFiles ?? 20_000, perFile, Math.min(repeats, 5), found, squawk) : undefined;

    const result: Omit<LintBenchResult, 'markdown'> = {
      measuredAt: new Date().toISOString(),
      machine: machineLine(),
      corpus: { files, statements },
      rewind: rewind!,
      rewindOneThread: rewindOneThreadTiming!,
      rewindColdStartMs: { median: round(median(coldSamples)), samples: coldSamples },
      squawk,
      large,
    };
    const markdown = renderMarkdown(result);
    if (options.writeDocs ?? true) writeSection(markdown);
    return { ...result, markdown };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The same three commands on the large corpus (written next to the small one, removed with it). */
async function largeCorpus(root: string, files: number, perFile: number, repeats: number, found: ReturnType<typeof findSquawk>, squawk: LintBenchResult['squawk']): Promise<LargeCorpusResult> {
  const dir = join(root, 'large');
  const statements = generateCorpus(dir, files, perFile);
  const argv = [process.execPath, CLI_MAIN, 'lint', dir, '--format', 'json'];
  const commands: { tool: string; argv: string[]; env?: NodeJS.ProcessEnv }[] = [
    { tool: 'rewind lint', argv },
    { tool: 'rewind lint, REWIND_LINT_THREADS=1', argv, env: { ...process.env, REWIND_LINT_THREADS: '1' } },
  ];
  if (!('unavailable' in squawk) && 'bin' in found) commands.push({ tool: 'squawk', argv: [found.bin, '--reporter', 'json', join(dir, '*.sql')] });
  const [rewind, rewindOneThread, squawkTiming] = await timeInterleaved(commands, root, repeats, statements);
  return { corpus: { files, statements }, rewind: rewind!, rewindOneThread: rewindOneThread!, squawk: squawkTiming };
}

function renderMarkdown(r: Omit<LintBenchResult, 'markdown'>): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const cpu = (t: ToolTiming | undefined): string => (t?.medianCpuMs === undefined ? '—' : String(Math.round(t.medianCpuMs)));
  const squawk = 'unavailable' in r.squawk ? undefined : r.squawk;
  const rows = [
    `| rewind lint (libpg-query, default: a worker thread from 1 MiB, so here) | ${r.rewind.medianMs} | ${n(r.rewind.statementsPerSecond)} | ${cpu(r.rewind)} | ${r.rewindColdStartMs.median} |`,
    `| rewind lint, REWIND_LINT_THREADS=1 (no worker thread) | ${r.rewindOneThread.medianMs} | ${n(r.rewindOneThread.statementsPerSecond)} | ${cpu(r.rewindOneThread)} | — |`,
    squawk ? `| ${squawk.version} (npm squawk-cli: node wrapper + native binary) | ${squawk.medianMs} | ${n(squawk.statementsPerSecond)} | ${cpu(squawk)} | ${squawk.coldStartMs} |` : '| squawk-cli | — | — | — | — |',
  ];
  return [
    SECTION,
    '',
    `Measured ${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC on ${r.machine}, by \`node dist-bench/bench/lint-bench.js\``,
    '(`runLintBench()` in bench/lint-bench.ts; this section is rewritten by each run, the notes below it are not).',
    '',
    `Corpus: ${n(r.corpus.files)} generated PostgreSQL migration files, ${n(r.corpus.statements)} statements: mostly expand/contract`,
    'steps plus the usual risky ones, so both tools report findings. Every figure is the median of',
    `${r.rewind.samplesMs.length} whole-process runs (after one warm-up each), timed from spawn to exit, with the tools interleaved so`,
    'that load from other processes hits them alike: process start, parser load, reading every file, linting and',
    'printing the report (rewind `--format json`, squawk `--reporter json`). The one-file column is the cold start',
    'on a single 10-statement file. CPU is user + system time of the whole process tree (all threads; squawk\'s',
    'wrapper and its native binary), from the kernel in 10 ms ticks.',
    '',
    '| tool | whole corpus (ms) | statements/s | CPU (ms) | one file (ms) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    squawk
      ? `rewind lint: ${n(r.rewind.statementsPerSecond)} statements/s, ${(r.rewind.statementsPerSecond / squawk.statementsPerSecond).toFixed(2)}× squawk's ${n(squawk.statementsPerSecond)} on this run (target: at least squawk's throughput; the issue quotes squawk at about 28,000/s on the machine it was written on); round by round (each rewind run against the squawk run of the same round) ${pairedSpread(r.rewind, squawk)}. Without the worker thread (REWIND_LINT_THREADS=1) this run took ${workerDelta(r.rewind, r.rewindOneThread)} time.`
      : `squawk could not be measured here: ${'unavailable' in r.squawk ? r.squawk.unavailable : ''}. rewind: ${n(r.rewind.statementsPerSecond)} statements/s (the issue quotes squawk at about 28,000/s on the machine it was written on).`,
    '',
    ...(r.large ? renderLarge(r, r.large, n, cpu) : []),
  ].join('\n');
}

/** The large corpus's table, and what the two corpora together say per statement. */
function renderLarge(r: Omit<LintBenchResult, 'markdown'>, large: LargeCorpusResult, n: (x: number) => string, cpu: (t: ToolTiming | undefined) => string): string[] {
  const squawkSmall = 'unavailable' in r.squawk ? undefined : r.squawk;
  // What one more statement costs once a process runs: the slope between the two corpora.
  const perStatementUs = (small: ToolTiming, big: ToolTiming): string => (((big.medianMs - small.medianMs) * 1000) / (large.corpus.statements - r.corpus.statements)).toFixed(1);
  const lines = [
    `Large corpus: the same generator, ${n(large.corpus.files)} files, ${n(large.corpus.statements)} statements, ${large.rewind.samplesMs.length} interleaved runs each.`,
    '',
    `| tool | ${n(large.corpus.statements)} statements (ms) | statements/s | CPU (ms) | µs per extra statement |`,
    '| --- | ---: | ---: | ---: | ---: |',
    `| rewind lint (default: worker thread) | ${large.rewind.medianMs} | ${n(large.rewind.statementsPerSecond)} | ${cpu(large.rewind)} | ${perStatementUs(r.rewind, large.rewind)} |`,
    `| rewind lint, REWIND_LINT_THREADS=1 | ${large.rewindOneThread.medianMs} | ${n(large.rewindOneThread.statementsPerSecond)} | ${cpu(large.rewindOneThread)} | ${perStatementUs(r.rewindOneThread, large.rewindOneThread)} |`,
  ];
  if (large.squawk && squawkSmall) lines.push(`| squawk | ${large.squawk.medianMs} | ${n(large.squawk.statementsPerSecond)} | ${cpu(large.squawk)} | ${perStatementUs(squawkSmall, large.squawk)} |`);
  lines.push('');
  if (large.squawk) {
    lines.push(
      `On ${n(large.corpus.statements)} statements rewind lints ${(large.rewind.statementsPerSecond / large.squawk.statementsPerSecond).toFixed(2)}× squawk's throughput (round by round ${pairedSpread(large.rewind, large.squawk)}); without the worker thread it takes ${workerDelta(large.rewind, large.rewindOneThread)} time. "µs per extra statement" is the slope between the two corpora: what a statement costs once the process has started, without the start-up both corpora pay once.`,
      '',
    );
  }
  return lines;
}

/** rewind's throughput over squawk's within each round of the interleaved runs: median and range. */
function pairedSpread(rewind: ToolTiming, squawk: ToolTiming): string {
  const ratios = rewind.samplesMs.map((ms, i) => squawk.samplesMs[i]! / ms).sort((a, b) => a - b);
  if (ratios.length === 0) return 'no samples';
  return `median ${median(ratios).toFixed(2)}× (${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}×)`;
}

function workerDelta(withWorker: ToolTiming, oneThread: ToolTiming): string {
  const change = (oneThread.medianMs - withWorker.medianMs) / withWorker.medianMs;
  return `${Math.abs(change * 100).toFixed(0)}% ${change >= 0 ? 'more' : 'less'}`;
}

/** Appends the section to docs/benchmarks.md (another benchmark writes the rest of that file). */
function writeSection(markdown: string): void {
  const path = join(PACKAGE_ROOT, 'docs', 'benchmarks.md');
  writeFileSync(path, mergeBenchmarkSection(existsSync(path) ? readFileSync(path, 'utf8') : undefined, markdown));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const write = !process.argv.includes('--no-write');
  const at = process.argv.indexOf('--repeats');
  const repeats = at === -1 ? undefined : Number(process.argv[at + 1]);
  if (repeats !== undefined && !(Number.isInteger(repeats) && repeats > 0)) throw new Error('--repeats needs a positive whole number');
  const result = await runLintBench({ writeDocs: write, repeats, largeFiles: process.argv.includes('--no-large') ? 0 : undefined });
  process.stdout.write(result.markdown);
}

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/**
 * The package root (where package.json and node_modules are), from dist-bench/bench/: the benches
 * are compiled by bench/tsconfig.json into dist-bench/, outside the published dist/.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The built CLI entry point, run exactly as `rewind` runs it: the package's dist/cli/main.js (what
 * `npm run build` makes and the package ships), never a copy compiled for the benches.
 * REWIND_BENCH_CLI points the benches at another build of it to compare start-up; the results
 * record which was used.
 */
export const CLI_MAIN = process.env.REWIND_BENCH_CLI ? resolve(process.env.REWIND_BENCH_CLI) : join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
/** PM2's CLI, used by the bash baseline and to stop the sandbox daemon. */
export const PM2_BIN = fileURLToPath(new URL('../../node_modules/pm2/bin/pm2', import.meta.url));

export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Median (mean of the middle two for even n) and nearest-rank p90, in the samples' unit. */
export function stats(samples: number[]): Stats {
  if (samples.length === 0) return { n: 0, median: NaN, p90: NaN, min: NaN, max: NaN, mean: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * n) - 1)]!;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return { n, median: round(median, 2), p90: round(p90, 2), min: round(sorted[0]!, 2), max: round(sorted[n - 1]!, 2), mean: round(mean, 2) };
}

export const ms = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '—');

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export interface CommandRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in ms. */
  ms: number;
}

/** Runs an argv array (never a shell string) and times it from spawn to close. */
export function run(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandRun> {
  const [program, ...args] = argv;
  if (!program) throw new Error('empty argv');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, { cwd: options.cwd, env: options.env ?? process.env, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Like run(), but a non-zero exit is an error that shows the output. */
export async function runOk(argv: string[], options: Parameters<typeof run>[1] = {}): Promise<CommandRun> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`${argv.map((a) => JSON.stringify(a)).join(' ')} exited ${result.code ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/** Cleanups that must run even on Ctrl-C: PM2 daemons, temp dirs, throwaway databases. */
const cleanups = new Set<() => Promise<void>>();
let signalsInstalled = false;

export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  if (!signalsInstalled) {
    signalsInstalled = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up…\n`);
        void runCleanups().finally(() => process.exit(130));
      });
    }
  }
  return () => cleanups.delete(fn);
}

export async function runCleanups(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await fn().catch((error: unknown) => process.stderr.write(`cleanup failed: ${(error as Error).message}\n`));
  }
}

export interface MachineInfo {
  cpuModel: string;
  nproc: number;
  memTotalGiB: number;
  /** 1/5/15-minute load averages when the bench started: other work on the machine skews timings. */
  loadavg: number[];
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':')[1]!.trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpuModel,
    nproc: availableParallelism(),
    memTotalGiB: round(totalmem() / 2 ** 30, 1),
    loadavg: loadavg().map((x) => round(x, 2)),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');

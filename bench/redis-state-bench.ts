#!/usr/bin/env node
// Redis state benchmark: rewind's snapshot and restore of a Redis dataset against the hand-run way,
// same run, interleaved rounds, on a throwaway redis-server (its own port and dir, RDB only).
//
//   node dist-bench/bench/redis-state-bench.js                         ~256 MB dataset, 3 rounds
//   REWIND_BENCH_REDIS_MB=1024 node dist-bench/bench/redis-state-bench.js   a 1 GB dataset
//
// Hand-run snapshot: `redis-cli --rdb <file>` (a replica-style full sync into a file). Hand-run
// restore: `redis-cli SHUTDOWN NOSAVE`, `cp <file> <dir>/dump.rdb`, `redis-server <conf>`, then
// `redis-cli INFO persistence` every 50 ms until loading:0 — what an operator's script does.
// rewind's snapshot adds BGSAVE's LASTSAVE/INFO wait, the sha256 while copying and two SCANs
// counting keys per prefix (with a TTL check per key); its restore adds the sha256 check first and
// the key counts after. Both are measured with and without a configured prefix.
import { rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RedisStateStore } from '../src/adapters/stores/redis/redis-store.js';
import { REDIS_STORE, redisStateSchema } from '../src/adapters/stores/redis/redis-config.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import type { StateSnapshot } from '../src/ports/state-store.js';
import { RedisServer } from '../test/support/redis-server.js';
import { run } from './bench-util.js';

export interface RedisBenchResult {
  datasetBytes: number;
  rdbBytes: number;
  keys: number;
  runs: number;
  redisVersion: string;
  machine: { cpus: number; model: string; loadavg: number[] };
  measurements: { name: string; ms: number; samples: number[] }[];
  targets: { name: string; ratio: number; perRound: number[] }[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runRedisBench(options: { sizeMb?: number; runs?: number; log?: (line: string) => void } = {}): Promise<RedisBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sizeMb = options.sizeMb ?? Number(process.env.REWIND_BENCH_REDIS_MB ?? 256);
  const runs = options.runs ?? Number(process.env.REWIND_BENCH_RUNS ?? 3);
  // rdbcompression no: the populated values compress to almost nothing, and a real dataset does not.
  const server = await RedisServer.start({ lines: ['rdbcompression no', 'enable-debug-command yes'] });
  const work = await mkdtemp(join(tmpdir(), 'rewind-redis-bench-'));
  try {
    const valueBytes = 1000;
    const keys = Math.round((sizeMb * 1e6) / (valueBytes + 60));
    log(`populating ${keys} keys of ${valueBytes} bytes…`);
    await server.command('DEBUG', 'POPULATE', keys, 'sess', valueBytes);
    const memory = String(await server.command('INFO', 'memory'));
    const datasetBytes = Number(/used_memory_dataset:(\d+)/.exec(memory)?.[1] ?? 0);
    const redisVersion = /redis_version:([^\r\n]+)/.exec(String(await server.command('INFO', 'server')))?.[1] ?? 'unknown';

    const store = (prefixes: string[]) =>
      new RedisStateStore(redisStateSchema.parse({ type: REDIS_STORE, url: server.url, prefixes, restart: server.restartArgv, timeoutMs: 600_000 }), new ProcessExecutor());
    const counted = store(['sess:']);
    const uncounted = store([]);
    const cli = (...args: string[]) => ['redis-cli', '-p', String(server.port), ...args];
    const samples: Record<string, number[]> = {};
    const record = (name: string, ms: number) => (samples[name] ??= []).push(ms);
    const time = async (name: string, work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      record(name, performance.now() - started);
    };
    const mustRun = async (argv: string[]) => {
      const result = await run(argv, { timeoutMs: 600_000 });
      if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result;
    };
    const handRestore = async (file: string) => {
      await run(cli('SHUTDOWN', 'NOSAVE'));
      for (;;) {
        const ping = await run(cli('PING'));
        if (ping.code !== 0 || !ping.stdout.includes('PONG')) break;
        await sleep(50);
      }
      await mustRun(['cp', file, join(server.dir, 'dump.rdb')]);
      await mustRun(server.restartArgv);
      for (;;) {
        const info = await run(cli('INFO', 'persistence'));
        if (info.code === 0 && info.stdout.includes('loading:0')) return;
        await sleep(50);
      }
    };

    let rdbBytes = 0;
    let snapshot: StateSnapshot | undefined;
    for (let round = 1; round <= runs; round++) {
      log(`round ${round}/${runs}: snapshots`);
      const handFile = join(work, 'hand.rdb');
      await time('redis-cli --rdb (hand-run snapshot)', () => mustRun(cli('--rdb', handFile)));
      rdbBytes = statSync(handFile).size;
      for (const file of [join(work, 'ours.rdb'), join(work, 'ours-uncounted.rdb')]) rmSync(file, { force: true });
      await time('rewind snapshot, prefix sess: counted', async () => (snapshot = await counted.snapshot(join(work, 'ours.rdb'))));
      await time('rewind snapshot, no prefixes', () => uncounted.snapshot(join(work, 'ours-uncounted.rdb')));

      log(`round ${round}/${runs}: restores`);
      await time('hand-run restore (SHUTDOWN NOSAVE, cp, redis-server, poll INFO)', () => handRestore(handFile));
      await time('rewind restore, prefix sess: counted', () => counted.restore(snapshot!));
      await time('rewind restore, no prefixes', () => uncounted.restore({ ...snapshot!, keyCounts: {} }));
    }
    const after = await counted.countKeys();
    if (after['sess:']?.keys !== keys) throw new Error(`after the restores sess: has ${after['sess:']?.keys} keys, not ${keys}`);

    const measurements = Object.entries(samples).map(([name, xs]) => ({ name, ms: median(xs), samples: xs }));
    const byName = (prefix: string) => measurements.find((m) => m.name.startsWith(prefix))!;
    const paired = (name: string, ours: string, theirs: string) => {
      const a = byName(ours);
      const b = byName(theirs);
      const perRound = a.samples.map((x, i) => Math.round((x / b.samples[i]!) * 100) / 100);
      return { name, ratio: Math.round(median(perRound) * 100) / 100, perRound };
    };
    return {
      datasetBytes,
      rdbBytes,
      keys,
      runs,
      redisVersion,
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
      measurements,
      targets: [
        paired('rewind snapshot (counted) / redis-cli --rdb', 'rewind snapshot, prefix', 'redis-cli --rdb'),
        paired('rewind snapshot (no prefixes) / redis-cli --rdb', 'rewind snapshot, no', 'redis-cli --rdb'),
        paired('rewind restore (counted) / hand-run restore', 'rewind restore, prefix', 'hand-run restore'),
        paired('rewind restore (no prefixes) / hand-run restore', 'rewind restore, no', 'hand-run restore'),
      ],
    };
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The result as the markdown docs/benchmarks.md shows. */
export function formatRedisBench(result: RedisBenchResult): string {
  const s = (x: number) => (x / 1000).toFixed(2);
  return [
    `Dataset: ${result.keys.toLocaleString('en-US')} keys of 1000 bytes, ${(result.datasetBytes / 1e6).toFixed(0)} MB in memory, RDB ${(result.rdbBytes / 1e6).toFixed(0)} MB (rdbcompression off); Redis ${result.redisVersion}; median of ${result.runs} interleaved rounds; ${result.machine.cpus} × ${result.machine.model}, load ${result.machine.loadavg.join(' ')}.`,
    '',
    '| operation | time (s) | samples (s) |',
    '| --- | ---: | --- |',
    ...result.measurements.map((m) => `| ${m.name} | ${s(m.ms)} | ${m.samples.map(s).join(', ')} |`),
    '',
    '| ratio | median per round | per round |',
    '| --- | ---: | --- |',
    ...result.targets.map((t) => `| ${t.name} | ${t.ratio.toFixed(2)} | ${t.perRound.map((r) => r.toFixed(2)).join(', ')} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runRedisBench()
    .then((result) => {
      process.stdout.write(`${formatRedisBench(result)}\n`);
      if (process.env.REWIND_BENCH_JSON) process.stdout.write(`${JSON.stringify(result)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}

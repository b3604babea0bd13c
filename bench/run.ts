#!/usr/bin/env node
// rewind's benchmarks, every one registered here: measured and written to bench-results.json, never
// asserted as timed tests. Built by bench/tsconfig.json into dist-bench/ (not the published dist/).
//
//   npm run bench                         the default five (about 6 minutes on 2 cores)
//   npm run bench -- --only cold          cold start of the CLI
//   npm run bench -- --only rollback      code-only rollback vs a bash script, under real PM2
//   npm run bench -- --only ledger        ledger queries at 100k releases / 1M+ events (SQLite, PostgreSQL)
//   npm run bench -- --only dora          rewind report dora at 100k releases (SQLite), in process and through the CLI
//   npm run bench -- --only traffic       traffic switching under wrk (nginx, haproxy) and the automatic-revert simulation
//   npm run bench -- --only bluegreen     real blue-green rollbacks and canary aborts (PM2 slots behind haproxy) under wrk
//   npm run bench -- --only lint          migration lint vs squawk (installs squawk-cli into a temp prefix; rewrites its docs/benchmarks.md section)
//   npm run bench -- --only fleet         rollback of 5 hosts over ssh (real sshd on loopback; the target, then the CLI end to end) vs a hand-run ln -sfn && mv -T && restart per host
//   npm run bench -- --only compose       Compose rollback vs a hand-run docker-compose up -d + health poll (needs dockerd, docker-compose, docker-registry, busybox-static; as root)
//   npm run bench -- --only backup        PostgreSQL backup and restore vs the raw tools (builds a ~350 MB database; REWIND_BENCH_* settings)
//   npm run bench -- --only redis         Redis snapshot and restore vs redis-cli --rdb and a hand-run restore (~256 MB; REWIND_BENCH_REDIS_MB)
//   --only may repeat or take a comma list; --scale 0.1 shrinks the ledger bench; --out FILE.
// lint, backup, compose and redis run only when named: lint installs a tool and rewrites docs, the others
// need minutes of disk I/O or engines of their own (backup: a PostgreSQL it may create databases on; compose:
// a Docker engine; redis: its own redis-server). Each keeps its own entry point for its extra options
// (node dist-bench/bench/lint-bench.js --no-write, …).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI_MAIN, PACKAGE_ROOT, machineInfo, runCleanups } from './bench-util.js';
import { coldStartBench } from './cold-start-bench.js';
import { ledgerScaleBench } from './ledger-scale-bench.js';
import { doraBench } from './dora-bench.js';
import { rollbackBench } from './rollback-bench.js';
import { fleetBench } from './ssh-fleet-bench.js';
import { composeBench } from './compose-bench.js';
import { trafficBench } from './traffic-bench.js';
import { blueGreenBench, canaryAbortBench } from './blue-green-bench.js';
import { runLintBench } from './lint-bench.js';
import { formatBackupBench, runBackupBench } from './backup-bench.js';
import { formatRedisBench, runRedisBench } from './redis-state-bench.js';

const BENCHES = ['cold', 'rollback', 'ledger', 'dora', 'traffic', 'bluegreen', 'lint', 'backup', 'fleet', 'compose', 'redis'] as const;
type BenchName = (typeof BENCHES)[number];
/** What a plain `npm run bench` runs. */
const DEFAULT_BENCHES: readonly BenchName[] = ['cold', 'rollback', 'ledger', 'dora', 'traffic', 'bluegreen'];

const USAGE = `usage: node dist-bench/bench/run.js [--only ${BENCHES.join('|')}]… [--scale F] [--no-postgres] [--out bench-results.json]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      scale: { type: 'string' },
      'no-postgres': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return (process.stdout.write(`${USAGE}\n`), 0);
  const only = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const name of only) if (!BENCHES.includes(name as BenchName)) throw new Error(`--only ${name}: expected one of ${BENCHES.join(', ')}\n${USAGE}`);
  const selected: BenchName[] = only.length ? BENCHES.filter((b) => only.includes(b)) : [...DEFAULT_BENCHES];
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale > 0 && scale <= 10)) throw new Error(`--scale must be a number in (0, 10], not ${values.scale}`);
  const out = resolve(values.out ?? `${PACKAGE_ROOT}bench-results.json`);

  const machine = machineInfo();
  const started = performance.now();
  process.stdout.write(`rewind benchmarks — ${machine.cpuModel}, ${machine.nproc} cores, ${machine.memTotalGiB} GiB, Node ${machine.node}, load ${machine.loadavg.join(' ')}\n`);

  // Results merge into an existing file, so `--only x` refreshes one section and keeps the others (each has its own measuredAt).
  let previous: { results?: Record<string, unknown> } = {};
  if (existsSync(out)) {
    try {
      previous = JSON.parse(readFileSync(out, 'utf8')) as typeof previous;
    } catch {
      previous = {};
    }
  }
  const results: Record<string, unknown> = { ...(previous.results ?? {}) };
  const cli = CLI_MAIN.startsWith(PACKAGE_ROOT) ? CLI_MAIN.slice(PACKAGE_ROOT.length) : CLI_MAIN;
  if (process.env.REWIND_BENCH_CLI) process.stdout.write(`CLI under test: ${cli} (REWIND_BENCH_CLI)\n`);
  const save = () => writeFileSync(out, `${JSON.stringify({ machine, cli, updatedAt: new Date().toISOString(), results }, null, 2)}\n`);

  for (const name of selected) {
    if (name === 'cold') results.cold = await coldStartBench();
    if (name === 'rollback') results.rollback = await rollbackBench();
    if (name === 'dora') results.dora = await doraBench({ releases: Math.round(100_000 * scale) });
    if (name === 'fleet') results.fleet = await fleetBench();
    if (name === 'compose') results.compose = await composeBench();
    if (name === 'traffic') results.traffic = await trafficBench();
    if (name === 'bluegreen') results.bluegreen = { rollbacks: await blueGreenBench(), canaryAbort: await canaryAbortBench() };
    if (name === 'lint') {
      const lint = await runLintBench();
      process.stdout.write(lint.markdown);
      results.lint = lint;
    }
    if (name === 'backup') {
      const backup = await runBackupBench();
      process.stdout.write(`${formatBackupBench(backup)}\n`);
      results.backup = backup;
    }
    if (name === 'redis') {
      const redis = await runRedisBench();
      process.stdout.write(`${formatRedisBench(redis)}\n`);
      results.redis = redis;
    }
    if (name === 'ledger') {
      results.ledger = await ledgerScaleBench({ releases: Math.round(100_000 * scale), backends: values['no-postgres'] ? ['sqlite'] : ['sqlite', 'postgres'] });
      if (scale !== 1) (results.ledger as Record<string, unknown>).scale = scale;
    }
    save();
  }
  process.stdout.write(`\nwrote ${out} (${selected.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await runCleanups();
}

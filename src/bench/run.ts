#!/usr/bin/env node
// rewind's benchmarks: measured here and written to bench-results.json, never asserted as timed tests.
//
//   npm run bench                         all three (about 4 minutes on 2 cores)
//   npm run bench -- --only cold          cold start of the CLI
//   npm run bench -- --only rollback      code-only rollback vs a bash script, under real PM2
//   npm run bench -- --only ledger        ledger queries at 100k releases / 1M+ events (SQLite, PostgreSQL)
//   npm run bench -- --only traffic       traffic switching under wrk (nginx, haproxy) and the automatic-revert simulation
//   npm run bench -- --only bluegreen     real blue-green rollbacks and canary aborts (PM2 slots behind haproxy) under wrk
//   --only may repeat or take a comma list; --scale 0.1 shrinks the ledger bench; --out FILE.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI_MAIN, PACKAGE_ROOT, machineInfo, runCleanups } from './bench-util.js';
import { coldStartBench } from './cold-start-bench.js';
import { ledgerScaleBench } from './ledger-scale-bench.js';
import { rollbackBench } from './rollback-bench.js';
import { trafficBench } from './traffic-bench.js';
import { blueGreenBench, canaryAbortBench } from './blue-green-bench.js';

const BENCHES = ['cold', 'rollback', 'ledger', 'traffic', 'bluegreen'] as const;
type BenchName = (typeof BENCHES)[number];

const USAGE = `usage: node dist/bench/run.js [--only cold|rollback|ledger|traffic|bluegreen]… [--scale F] [--no-postgres] [--out bench-results.json]`;

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
  const selected: BenchName[] = only.length ? BENCHES.filter((b) => only.includes(b)) : [...BENCHES];
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
    if (name === 'traffic') results.traffic = await trafficBench();
    if (name === 'bluegreen') results.bluegreen = { rollbacks: await blueGreenBench(), canaryAbort: await canaryAbortBench() };
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

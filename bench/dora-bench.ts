import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { computeDora, type DoraReport } from '../src/core/report/dora-metrics.js';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import { generateDoraHistory, loadHistorySqlite } from '../test/support/dora-history.js';
import { CLI_MAIN, ms, onCleanup, run, stats, table, verdict, type Stats } from './bench-util.js';

/**
 * `rewind report dora` at 100,000 releases (npm run bench -- --only dora). A SQLite ledger is filled
 * with a made-up year of one production environment (test/support/dora-history.ts: 100k releases
 * and deploys, their step journals, automatic and manual rollbacks, incidents joined by several
 * rollbacks), then timed, interleaved in rounds so load drift hits every row alike:
 * - in process: the report's ledger read plus the computation, over the whole year and over the
 *   default 90 days, against a reference measured in the same rounds: one raw better-sqlite3 scan
 *   of the same operations (the floor of any one-scan report, with no steps and no incidents);
 * - end to end through the CLI (dist/cli/main.js), against `node -e 0` and `rewind history`.
 * The numbers are checked too: the CLI's JSON must equal the in-process report.
 */

const ENV = 'production';
const DAY = 86_400_000;
export const DORA_TARGET_MS = 1000;

export interface DoraBenchResult {
  measuredAt: string;
  releases: number;
  rows: { operations: number; deploys: number; rollbacks: number; steps: number; incidents: number };
  load: { ms: number; sizeMiB: number };
  runs: number;
  /** Wall time, its ratio to the reference's, and the process's CPU time (user + system: less moved by other jobs' load). */
  inProcess: { name: string; stats: Stats; ratio: number; cpu: Stats }[];
  cli: { name: string; stats: Stats; overNodeMs: number }[];
  report: { deploys: number; changeFailureRate: number | null; leadTimeSamples: number; timeToRestoreSamples: number; cfrDeploys: number };
  target: { what: string; ms: number; measuredMedianMs: number; met: boolean };
  wholeYear: { measuredMedianMs: number; met: boolean };
}

export async function doraBench(options: { releases?: number; runs?: number; warmups?: number; log?: (line: string) => void } = {}): Promise<DoraBenchResult> {
  const releases = options.releases ?? 100_000;
  const runs = options.runs ?? 10;
  const warmups = options.warmups ?? 2;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const root = await mkdtemp(join(tmpdir(), 'rewind-bench-dora-'));
  const forget = onCleanup(() => rm(root, { recursive: true, force: true }));
  try {
    const file = join(root, 'rewind.db');
    await writeFile(join(root, 'rewind.yaml'), sampleConfigYaml({ root, env: ENV, port: 39_998, appName: 'rewind-bench-dora' }));
    const now = Date.now();
    log(`\n## report dora: ${releases.toLocaleString('en')} releases over a year (SQLite)`);
    const loadStarted = performance.now();
    await (await openLedger(file)).close();
    const history = generateDoraHistory({ releases, start: now - 365 * DAY, end: now - 60_000, seed: 7 });
    await loadHistorySqlite(file, history);
    const loadMs = performance.now() - loadStarted;
    const production = history.operations.filter((o) => o.env === ENV);
    const rows = {
      operations: history.operations.length,
      deploys: production.filter((o) => o.kind === 'deploy').length,
      rollbacks: production.filter((o) => o.kind === 'rollback').length,
      steps: history.steps.length,
      incidents: history.incidents.length,
    };
    log(`loaded in ${(loadMs / 1000).toFixed(1)} s: ${JSON.stringify(rows)}`);

    const year = { since: now - 400 * DAY, until: now };
    const quarter = { since: now - 90 * DAY, until: now };
    const ledger = await openLedger(file);
    const raw = new Database(file, { readonly: true });
    const scan = raw.prepare('SELECT id, kind, state, to_version, from_version, parent_id, started_at, finished_at FROM operations WHERE env = ? AND started_at >= ? AND started_at < ?');
    let report: DoraReport | undefined;
    const inProcess = [
      { name: 'reference: one raw scan of the operations (better-sqlite3)', fn: async () => void scan.all(ENV, year.since, year.until) },
      { name: 'report dora, the whole year: readDoraRows + computeDora', fn: async () => void (report = computeDora(ENV, await ledger.readDoraRows(ENV, year), year)) },
      { name: 'report dora, last 90 days', fn: async () => void computeDora(ENV, await ledger.readDoraRows(ENV, quarter), quarter) },
    ];
    const samples = inProcess.map(() => [] as number[]);
    const cpuSamples = inProcess.map(() => [] as number[]);
    for (let round = 0; round < warmups + runs; round++) {
      for (let k = 0; k < inProcess.length; k++) {
        const i = (round + k) % inProcess.length;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await inProcess[i]!.fn();
        const wall = performance.now() - started;
        const used = process.cpuUsage(cpu);
        if (round >= warmups) {
          samples[i]!.push(wall);
          cpuSamples[i]!.push((used.user + used.system) / 1000);
        }
      }
    }
    raw.close();
    await ledger.close();
    const inProcessStats = samples.map(stats);
    const reference = inProcessStats[0]!.median;

    const since = new Date(year.since).toISOString();
    const cliCommands = [
      { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      { name: `rewind history ${ENV} --json (reference: same start-up, 20 operations)`, argv: [process.execPath, CLI_MAIN, 'history', ENV, '--json'] },
      { name: `rewind report dora ${ENV} --since <a year ago> --json`, argv: [process.execPath, CLI_MAIN, 'report', 'dora', ENV, '--since', since, '--json'] },
      { name: `rewind report dora ${ENV} (90 days, text)`, argv: [process.execPath, CLI_MAIN, 'report', 'dora', ENV] },
    ];
    const cliSamples = cliCommands.map(() => [] as number[]);
    let cliJson: DoraReport | undefined;
    for (let round = 0; round < warmups + runs; round++) {
      for (let k = 0; k < cliCommands.length; k++) {
        const i = (round + k) % cliCommands.length;
        const result = await run(cliCommands[i]!.argv, { cwd: root });
        if (result.code !== 0) throw new Error(`${cliCommands[i]!.name} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
        if (i === 2) cliJson = JSON.parse(result.stdout) as DoraReport;
        if (round >= warmups) cliSamples[i]!.push(result.ms);
      }
    }
    const cliStats = cliSamples.map(stats);
    const node = cliStats[0]!.median;
    // The CLI's window ends when it ran; everything is inside both, so the counts must agree.
    if (!report || !cliJson || JSON.stringify(cliJson.changeFailureRate) !== JSON.stringify(report.changeFailureRate) || cliJson.deploymentFrequency.deploys !== report.deploymentFrequency.deploys) {
      throw new Error(`the CLI's report differs from the in-process one:\n${JSON.stringify(cliJson)}\n${JSON.stringify(report)}`);
    }

    const result: DoraBenchResult = {
      measuredAt: new Date().toISOString(),
      releases,
      rows,
      load: { ms: Math.round(loadMs), sizeMiB: Math.round((statSync(file).size / 2 ** 20) * 10) / 10 },
      runs,
      inProcess: inProcess.map((c, i) => ({ name: c.name, stats: inProcessStats[i]!, ratio: Math.round((inProcessStats[i]!.median / reference) * 10) / 10, cpu: stats(cpuSamples[i]!) })),
      cli: cliCommands.map((c, i) => ({ name: c.name, stats: cliStats[i]!, overNodeMs: Math.round((cliStats[i]!.median - node) * 10) / 10 })),
      report: {
        deploys: report.deploymentFrequency.deploys,
        cfrDeploys: report.changeFailureRate.deploys,
        changeFailureRate: report.changeFailureRate.rate,
        leadTimeSamples: report.leadTime.samples,
        timeToRestoreSamples: report.timeToRestore.samples,
      },
      // The command is the default window (`--since 90d`) over a 100,000-release ledger; a
      // window holding all of them is reported beside it (wholeYear), not hidden.
      target: { what: `rewind report dora (the default 90 days) over ${releases.toLocaleString('en')} releases, end to end, median`, ms: DORA_TARGET_MS, measuredMedianMs: cliStats[3]!.median, met: cliStats[3]!.median < DORA_TARGET_MS },
      wholeYear: { measuredMedianMs: cliStats[2]!.median, met: cliStats[2]!.median < DORA_TARGET_MS },
    };
    log(table(['in process', 'median ms', 'p90 ms', 'x reference', 'CPU median ms'], result.inProcess.map((r) => [r.name, ms(r.stats.median), ms(r.stats.p90), r.ratio, ms(r.cpu.median)])));
    log('');
    log(table(['CLI', 'median ms', 'p90 ms', 'over node -e 0'], result.cli.map((r) => [r.name, ms(r.stats.median), ms(r.stats.p90), r.overNodeMs])));
    log(`report: ${JSON.stringify(result.report)}`);
    log(`target (default report < ${DORA_TARGET_MS} ms end to end): ${verdict(result.target.met)} (${ms(result.target.measuredMedianMs)} ms); a window of all ${releases.toLocaleString('en')}: ${verdict(result.wholeYear.met)} (${ms(result.wholeYear.measuredMedianMs)} ms)`);
    return result;
  } finally {
    forget();
    await rm(root, { recursive: true, force: true });
  }
}

// Its own entry point, for other sizes: node dist-bench/bench/dora-bench.js [releases]
if (import.meta.url === `file://${process.argv[1]}`) {
  const releases = process.argv[2] ? Number(process.argv[2]) : undefined;
  const runs = process.argv[3] ? Number(process.argv[3]) : undefined;
  const result = await doraBench({ releases, runs });
  if (process.env.REWIND_BENCH_OUT) (await import('node:fs')).writeFileSync(process.env.REWIND_BENCH_OUT, `${JSON.stringify(result, null, 2)}\n`);
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import { CLI_MAIN, PACKAGE_ROOT, ms, onCleanup, run, runOk, stats, table, verdict, type Stats } from './bench-util.js';

const ENV = 'production';
export const STATUS_TARGET_MS = 150;

export interface ColdStartResult {
  measuredAt: string;
  runs: number;
  warmups: number;
  commands: { name: string; argv: string[]; stats: Stats; overNodeMs: number }[];
  target: { what: string; ms: number; measuredMedianMs: number; met: boolean };
  /** Cost of `await import(x)` alone, each in a fresh process (shared dependencies count in each row). */
  imports: { module: string; stats: Stats }[];
}

/** A temp dir with a valid rewind.yaml and a SQLite ledger holding a few releases and operations. */
async function fixture(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'rewind-bench-cold-'));
  const cleanup = async () => rm(root, { recursive: true, force: true });
  await writeFile(join(root, 'rewind.yaml'), sampleConfigYaml({ root, env: ENV, port: 39_999, appName: 'rewind-bench-cold' }));
  const ledger = await openLedger(join(root, 'rewind.db'));
  try {
    const t0 = Date.parse('2026-11-01T10:00:00Z');
    await ledger.ensureEnvironment(ENV, t0);
    const versions = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'];
    for (const [i, version] of versions.entries()) {
      const at = t0 + i * 3_600_000;
      await ledger.registerRelease({ env: ENV, version, artifact: join(root, 'artifacts', version), digest: `sha256:${'ab'.repeat(32)}`, commit: 'a1b2c3d4e5f6', ci: 'passed' }, at);
      const id = `op_bench${i}`;
      await ledger.createOperation({ id, env: ENV, kind: 'deploy', fromVersion: versions[i - 1] ?? null, toVersion: version, state: 'running', plan: { steps: [] }, actor: 'bench@host', parentId: null, reason: null, error: null, startedAt: at, finishedAt: null });
      if (version === '1.3.0') {
        await ledger.setReleaseState(ENV, version, 'failed', at + 900);
        await ledger.finishOperation(id, 'failed', 'health: status 500, expected 200', at + 900);
      } else {
        await ledger.markReleaseGood(ENV, version, at + 800);
        if (i > 0) await ledger.setReleaseState(ENV, versions[i - 1]!, 'superseded', at + 800);
        await ledger.setCurrentVersion(ENV, version, at + 800);
        await ledger.finishOperation(id, 'succeeded', null, at + 850);
      }
    }
  } finally {
    await ledger.close();
  }
  return { root, cleanup };
}

/** Times `await import(spec)` in a fresh Node process, resolving bare names from the package root. */
async function importCost(spec: string, runs: number): Promise<Stats> {
  const code = 'const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));';
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await runOk([process.execPath, '--input-type=module', '-e', code, spec], { cwd: PACKAGE_ROOT });
    samples.push(Number(result.stdout));
  }
  return stats(samples);
}

export async function coldStartBench(options: { runs?: number; warmups?: number; importRuns?: number; log?: (line: string) => void } = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 20;
  const warmups = options.warmups ?? 2;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { root, cleanup } = await fixture();
  const forget = onCleanup(cleanup);
  try {
    const commands = [
      { name: 'node -e 0', argv: [process.execPath, '-e', '0'], check: (_out: string) => true },
      { name: 'rewind --version', argv: [process.execPath, CLI_MAIN, '--version'], check: (out: string) => /^\d+\.\d+\.\d+/.test(out) },
      { name: `rewind status ${ENV}`, argv: [process.execPath, CLI_MAIN, 'status', ENV], check: (out: string) => out.includes('current         1.2.0') },
      // The first status after a config change validates in full (no stamp matches): what that costs.
      { name: `rewind status ${ENV} (config validated in full)`, argv: [process.execPath, CLI_MAIN, 'status', ENV], env: { REWIND_CONFIG_CACHE: 'off' }, check: (out: string) => out.includes('current         1.2.0') },
    ];
    const samples = commands.map(() => [] as number[]);
    // Interleaved rounds, rotating the order, so drift in machine load hits every command alike.
    for (let round = 0; round < warmups + runs; round++) {
      for (let k = 0; k < commands.length; k++) {
        const index = (round + k) % commands.length;
        const command = commands[index]!;
        const result = await run(command.argv, { cwd: root, env: { ...process.env, ...('env' in command ? command.env : {}) } });
        if (result.code !== 0 || !command.check(result.stdout)) {
          throw new Error(`${command.name} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
        }
        if (round >= warmups) samples[index]!.push(result.ms);
      }
    }
    const nodeStats = stats(samples[0]!);
    const rows = commands.map((c, i) => {
      const s = stats(samples[i]!);
      return { name: c.name, argv: c.argv.map((a) => (a === process.execPath ? 'node' : a.startsWith(PACKAGE_ROOT) ? a.slice(PACKAGE_ROOT.length) : a)), stats: s, overNodeMs: Math.round((s.median - nodeStats.median) * 10) / 10 };
    });
    const status = rows[2]!;

    const importRuns = options.importRuns ?? 5;
    const specs: [string, string][] = [
      ['zod', 'zod'],
      ['yaml', 'yaml'],
      ['kysely', 'kysely'],
      ['better-sqlite3', 'better-sqlite3'],
      ['config/load-config.js (yaml + zod + schema)', pathToFileURL(join(PACKAGE_ROOT, 'dist/config/load-config.js')).href],
      ['ledger/open-ledger.js (kysely)', pathToFileURL(join(PACKAGE_ROOT, 'dist/ledger/open-ledger.js')).href],
      ['cli/commands/status-command.js (all of status)', pathToFileURL(join(PACKAGE_ROOT, 'dist/cli/commands/status-command.js')).href],
    ];
    const imports: ColdStartResult['imports'] = [];
    for (const [module, spec] of specs) imports.push({ module, stats: await importCost(spec, importRuns) });

    const result: ColdStartResult = {
      measuredAt: new Date().toISOString(),
      runs,
      warmups,
      commands: rows,
      target: { what: `rewind status median < ${STATUS_TARGET_MS} ms`, ms: STATUS_TARGET_MS, measuredMedianMs: status.stats.median, met: status.stats.median < STATUS_TARGET_MS },
      imports,
    };
    log(`\nCold start — ${runs} runs each after ${warmups} warmups, interleaved; SQLite ledger with 4 releases`);
    log(table(['command', 'median ms', 'p90 ms', 'min ms', 'over node -e 0'], rows.map((r) => [r.name, ms(r.stats.median), ms(r.stats.p90), ms(r.stats.min), r.name === 'node -e 0' ? '' : `+${ms(r.overNodeMs)}`])));
    log(`target: status < ${STATUS_TARGET_MS} ms → ${verdict(result.target.met)} (median ${ms(status.stats.median)} ms)`);
    log(`\nImport cost of \`await import(x)\` in a fresh process, median of ${importRuns} (rows overlap: shared dependencies count in each)`);
    log(table(['module', 'median ms', 'p90 ms'], imports.map((i) => [i.module, ms(i.stats.median), ms(i.stats.p90)])));
    return result;
  } finally {
    await cleanup();
    forget();
  }
}

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '../src/app/compose-services.js';
import { openContext, type AppContext } from '../src/app/open-context.js';
import { deploy } from '../src/core/operations/deploy.js';
import { rollback } from '../src/core/operations/rollback.js';
import { registerRelease } from '../src/core/register-release.js';
import type { Services } from '../src/core/services.js';
import { buildSampleArtifact, freePort, sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { CLI_MAIN, PM2_BIN, ms, onCleanup, run, runOk, stats, table, timed, verdict, type Stats } from './bench-util.js';

const ENV = 'production';
const GOOD = '1.0.0';
const NEXT = '1.1.0';
export const ROLLBACK_TARGET = { ratio: 1.2, underMs: 1000 };

/**
 * The hand-written alternative: flip the symlink atomically, reload under PM2 through its CLI, and
 * poll /health until it reports the version. No ledger, no lock, no journal, no LKG choice.
 * Every input arrives as an argument; nothing is interpolated into the script text.
 */
const BASELINE_SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
srv="$1"; version="$2"; pm2_home="$3"; node_bin="$4"; pm2_bin="$5"; app="$6"; url="$7"
probe() {
  if command -v curl > /dev/null; then curl -fsS --max-time 1 "$url" 2> /dev/null
  else "$node_bin" -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) process.exit(1); process.stdout.write(await r.text()); }, () => process.exit(1))' "$url"
  fi
}
cd "$srv"
ln -sfn "releases/$version" current.tmp && mv -T current.tmp current
PM2_HOME="$pm2_home" "$node_bin" "$pm2_bin" reload "$app" > /dev/null
deadline=$((SECONDS + 15))
until body="$(probe)" && [[ "$body" == *"\\"version\\":\\"$version\\""* ]]; do
  (( SECONDS < deadline )) || { echo "timed out waiting for $version on $url" >&2; exit 1; }
  sleep 0.05
done
`;

type Method = 'rewind in-process' | 'rewind CLI' | 'bash script';

export interface RollbackResult {
  measuredAt: string;
  rounds: number;
  warmupRounds: number;
  samplesMs: Record<Method, number[]>;
  stats: Record<Method, Stats>;
  /** In-process rollbacks: median duration of each journaled step, from the ledger. */
  inProcessStepsMs: Record<string, number>;
  /** CLI rollbacks: the operation's own duration as journaled (process start-up excluded). */
  cliOperationStats: Stats;
  /**
   * CLI rollbacks, medians: spawn → operation row created (start-up, imports, config, ledger open, lock,
   * plan), the operation itself, and operation finished → process exited (lock release, PM2 disconnect, exit).
   */
  cliPhasesMs: { beforeOperation: number; operation: number; afterOperation: number };
  /** CLI rollbacks: median duration of each journaled step (activate includes loading PM2 and connecting). */
  cliStepsMs: Record<string, number>;
  ratios: { inProcess: number; cli: number };
  target: { what: string; inProcessMet: boolean; cliMet: boolean; met: boolean };
}

async function served(port: number): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { version?: string };
    return response.status === 200 ? (body.version ?? null) : null;
  } catch {
    return null;
  }
}

export async function rollbackBench(options: { rounds?: number; warmupRounds?: number; log?: (line: string) => void } = {}): Promise<RollbackResult> {
  const rounds = options.rounds ?? 7;
  const warmupRounds = options.warmupRounds ?? 1;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const sandbox = await mkdtemp(join(tmpdir(), 'rewind-bench-rollback-'));
  const pm2Home = join(sandbox, 'pm2');
  const appName = `rewind-bench-${randomBytes(3).toString('hex')}`;
  let context: AppContext | undefined;

  const cleanup = async () => {
    await context?.close().catch(() => undefined);
    context = undefined;
    if (existsSync(pm2Home)) await run([process.execPath, PM2_BIN, 'kill'], { env: { ...process.env, PM2_HOME: pm2Home }, timeoutMs: 30_000 });
    const pidFile = join(pm2Home, 'pm2.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(pid, 0);
        process.stderr.write(`warning: PM2 daemon ${pid} (PM2_HOME=${pm2Home}) survived pm2 kill; sending SIGTERM\n`);
        process.kill(pid, 'SIGTERM');
      } catch {
        // dead, as it should be
      }
    }
    await rm(sandbox, { recursive: true, force: true });
  };
  const forget = onCleanup(cleanup);

  try {
    const port = await freePort();
    const configPath = join(sandbox, 'rewind.yaml');
    await writeFile(configPath, sampleConfigYaml({ root: sandbox, env: ENV, port, appName, execMode: 'cluster' }));
    context = await openContext({ config: configPath, env: process.env });
    // No view of stdout: the bench prints its own tables.
    const services: Services = await composeServices(context);
    const ledger = context.ledger;
    const target = context.config.environments[ENV]!.target;
    if (target.type !== 'releases') throw new Error('the rollback bench runs a releases target');
    const srv = target.path;
    const healthUrl = `http://127.0.0.1:${port}/health`;

    for (const version of [GOOD, NEXT]) {
      const artifact = await buildSampleArtifact(join(sandbox, 'artifacts'), { version });
      await registerRelease(services, ENV, version, { artifact, commit: 'a1b2c3d4e5f6', ci: 'passed' });
    }
    log(`\nCode-only rollback — sandbox ${sandbox}, PM2 cluster mode, sample app on :${port}`);
    for (const version of [GOOD, NEXT]) {
      const outcome = await deploy(services, ENV, version);
      if (!outcome.ok) throw new Error(`setup deploy of ${version} failed: ${outcome.error?.message}`);
    }
    const script = join(sandbox, 'rollback-baseline.sh');
    await writeFile(script, BASELINE_SCRIPT);
    await chmod(script, 0o755);
    const baseline = (version: string) => runOk(['bash', script, srv, version, pm2Home, process.execPath, PM2_BIN, appName, healthUrl], { timeoutMs: 60_000 });

    const expectServed = async (version: string, after: string) => {
      const got = await served(port);
      if (got !== version) throw new Error(`after ${after}, /health reports ${got ?? 'nothing'} instead of ${version}`);
    };
    const forward = async () => {
      const outcome = await deploy(services, ENV, NEXT);
      if (!outcome.ok) throw new Error(`deploy forward to ${NEXT} failed: ${outcome.error?.message}`);
      await expectServed(NEXT, 'deploy forward');
    };

    const samples: Record<Method, number[]> = { 'rewind in-process': [], 'rewind CLI': [], 'bash script': [] };
    const stepSamples: Record<string, number[]> = {};
    const cliStepSamples: Record<string, number[]> = {};
    const cliOperationMs: number[] = [];
    const cliBeforeMs: number[] = [];
    const cliAfterMs: number[] = [];
    const methods: Method[] = ['rewind in-process', 'rewind CLI', 'bash script'];

    const measure: Record<Method, (keep: boolean) => Promise<void>> = {
      'rewind in-process': async (keep) => {
        const { value: outcome, ms: wall } = await timed(() => rollback(services, ENV, {}));
        if (!outcome.ok || outcome.plan.to !== GOOD) throw new Error(`in-process rollback failed: ${outcome.error?.message ?? `went to ${outcome.plan.to}`}`);
        await expectServed(GOOD, 'in-process rollback');
        if (keep) {
          samples['rewind in-process'].push(wall);
          for (const step of await ledger.listSteps(outcome.operation!.id)) {
            (stepSamples[step.stepId] ??= []).push((step.finishedAt ?? step.startedAt) - step.startedAt);
          }
        }
        await forward();
      },
      'rewind CLI': async (keep) => {
        const spawnedAt = Date.now();
        const result = await runOk([process.execPath, CLI_MAIN, 'rollback', ENV, '--yes'], { cwd: sandbox, timeoutMs: 60_000 });
        const exitedAt = Date.now();
        await expectServed(GOOD, 'CLI rollback');
        const [op] = await ledger.listOperations(ENV, { limit: 1 });
        if (op?.kind !== 'rollback' || op.state !== 'succeeded') throw new Error(`CLI rollback left ${op?.kind} ${op?.state}`);
        if (keep) {
          samples['rewind CLI'].push(result.ms);
          cliOperationMs.push(op.finishedAt! - op.startedAt);
          cliBeforeMs.push(op.startedAt - spawnedAt);
          cliAfterMs.push(exitedAt - op.finishedAt!);
          for (const step of await ledger.listSteps(op.id)) {
            (cliStepSamples[step.stepId] ??= []).push((step.finishedAt ?? step.startedAt) - step.startedAt);
          }
        }
        await forward();
      },
      'bash script': async (keep) => {
        const result = await baseline(GOOD);
        await expectServed(GOOD, 'bash rollback');
        if (keep) samples['bash script'].push(result.ms);
        await baseline(NEXT); // back to where the ledger says we are
        await expectServed(NEXT, 'bash forward');
      },
    };

    for (let round = 0; round < warmupRounds + rounds; round++) {
      const keep = round >= warmupRounds;
      const order = methods.map((_, k) => methods[(round + k) % methods.length]!);
      const line: string[] = [];
      for (const method of order) {
        const before = samples[method].length;
        await measure[method](keep);
        if (keep) line.push(`${method} ${ms(samples[method][before]!)} ms`);
      }
      log(`  round ${round + 1}/${warmupRounds + rounds}${keep ? `: ${line.join(', ')}` : ' (warm-up, not counted)'}`);
    }

    const s = {
      'rewind in-process': stats(samples['rewind in-process']),
      'rewind CLI': stats(samples['rewind CLI']),
      'bash script': stats(samples['bash script']),
    };
    const base = s['bash script'].median;
    const ratios = {
      inProcess: Math.round((s['rewind in-process'].median / base) * 100) / 100,
      cli: Math.round((s['rewind CLI'].median / base) * 100) / 100,
    };
    const inProcessMet = ratios.inProcess <= ROLLBACK_TARGET.ratio && s['rewind in-process'].median < ROLLBACK_TARGET.underMs;
    const cliMet = ratios.cli <= ROLLBACK_TARGET.ratio && s['rewind CLI'].median < ROLLBACK_TARGET.underMs;
    const inProcessStepsMs = Object.fromEntries(Object.entries(stepSamples).map(([k, v]) => [k, stats(v).median]));
    const result: RollbackResult = {
      measuredAt: new Date().toISOString(),
      rounds,
      warmupRounds,
      samplesMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => Math.round(x * 10) / 10)])) as Record<Method, number[]>,
      stats: s,
      inProcessStepsMs,
      cliOperationStats: stats(cliOperationMs),
      cliPhasesMs: { beforeOperation: stats(cliBeforeMs).median, operation: stats(cliOperationMs).median, afterOperation: stats(cliAfterMs).median },
      cliStepsMs: Object.fromEntries(Object.entries(cliStepSamples).map(([k, v]) => [k, stats(v).median])),
      ratios,
      target: { what: `median ≤ ${ROLLBACK_TARGET.ratio}× the bash script and < ${ROLLBACK_TARGET.underMs} ms`, inProcessMet, cliMet, met: inProcessMet && cliMet },
    };

    log(`\nRollback ${NEXT} → ${GOOD}, wall time until /health serves ${GOOD}; ${rounds} rounds (+${warmupRounds} warm-up), order rotated per round`);
    log(
      table(
        ['method', 'median ms', 'p90 ms', 'min ms', 'max ms', '× bash', 'target'],
        [
          ['bash script (ln + mv -T, pm2 reload CLI, poll /health)', ms(s['bash script'].median), ms(s['bash script'].p90), ms(s['bash script'].min), ms(s['bash script'].max), '1.00', ''],
          ['rewind in-process: rollback(services, env, {})', ms(s['rewind in-process'].median), ms(s['rewind in-process'].p90), ms(s['rewind in-process'].min), ms(s['rewind in-process'].max), ratios.inProcess.toFixed(2), verdict(inProcessMet)],
          ['rewind CLI: rewind rollback env --yes', ms(s['rewind CLI'].median), ms(s['rewind CLI'].p90), ms(s['rewind CLI'].min), ms(s['rewind CLI'].max), ratios.cli.toFixed(2), verdict(cliMet)],
        ],
      ),
    );
    log(`target: ${result.target.what} → in-process ${verdict(inProcessMet)}, CLI ${verdict(cliMet)}`);
    log(`in-process step medians (journal): ${Object.entries(inProcessStepsMs).map(([k, v]) => `${k} ${ms(v)} ms`).join(', ')}`);
    log(`CLI step medians (journal): ${Object.entries(result.cliStepsMs).map(([k, v]) => `${k} ${ms(v)} ms`).join(', ')} (activate includes loading PM2 and connecting to its daemon)`);
    const p = result.cliPhasesMs;
    log(`CLI phases (medians): spawn → operation starts ${ms(p.beforeOperation)} ms (node, imports, config, ledger, lock, plan); operation ${ms(p.operation)} ms; operation ends → exit ${ms(p.afterOperation)} ms`);
    return result;
  } finally {
    await cleanup();
    forget();
  }
}

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '../src/app/compose-services.js';
import { openContext, type AppContext } from '../src/app/open-context.js';
import { deploy } from '../src/core/operations/deploy.js';
import { rollback } from '../src/core/operations/rollback.js';
import { registerRelease } from '../src/core/register-release.js';
import type { Services } from '../src/core/services.js';
import { buildSampleArtifact, freePort, sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { PM2_BIN, ms, onCleanup, run, stats, table, verdict, type Stats } from './bench-util.js';
import { startHaproxy, type ProxyServer } from '../test/support/proxy-servers.js';
import { parseWrk, type WrkSummary } from './traffic-bench.js';

/**
 * A real blue-green rollback under load: the sample app in two PM2 slots behind a real haproxy,
 * `wrk` (20 keep-alive connections) through haproxy, and `rollback()` — the whole operation: lock,
 * plan, journal, the switch through haproxy's runtime API, health, rollback_complete — run back and
 * forth between the two warm releases while the load runs. Counts every request wrk saw fail, and
 * times each rollback from its call to the first fresh-connection answer from the other release.
 */

const ENV = 'production';
const RELEASES = ['1.0.0', '1.1.0'] as const;

export interface BlueGreenResult {
  measuredAt: string;
  router: 'haproxy';
  rollbacks: number;
  wrk: WrkSummary & { connections: number; threads: number };
  /** Per rollback, ms: the whole in-process operation. */
  operationMs: Stats;
  /** Per rollback, ms: the switch-traffic step as journaled (router call + ledger). */
  switchStepMs: Stats;
  /** Per rollback, ms: from the rollback call to the first fresh-connection answer from the other release. */
  firstAnswerMs: Stats;
  /** True when every rollback was a traffic switch only (no slot booted). */
  switchOnly: boolean;
  target: { failedRequests: 0; met: boolean };
}

async function versionOnce(port: number): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000), headers: { connection: 'close' } });
    return ((await response.json()) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The sample app in two PM2 slots behind a private haproxy on `port`, with rewind's services in process. */
async function slottedSandbox(strategy: 'blue-green' | 'canary', extraYaml = '') {
  const root = await mkdtemp(join(tmpdir(), `rewind-bench-${strategy}-`));
  const pm2Home = join(root, 'pm2');
  let context: AppContext | undefined;
  let proxy: ProxyServer | undefined;
  const cleanup = async () => {
    await context?.close().catch(() => undefined);
    context = undefined;
    await proxy?.stop();
    if (existsSync(pm2Home)) await run([process.execPath, PM2_BIN, 'kill'], { env: { ...process.env, PM2_HOME: pm2Home }, timeoutMs: 30_000 });
    await rm(root, { recursive: true, force: true });
  };
  const forget = onCleanup(cleanup);
  try {
    const [port, blue, green] = [await freePort(), await freePort(), await freePort()];
    const proxyRoot = join(root, 'proxy');
    await mkdir(proxyRoot, { recursive: true });
    const runtimeYaml = `        type: pm2
        name: bench-${strategy}-${port}
        script: server.js
        execMode: fork
        pm2Home: ${pm2Home}
        env:
          OPERATOR_TOKEN: bench
        killTimeoutMs: 2000
      slots:
        blue: { port: ${blue} }
        green: { port: ${green} }`;
    const traffic = `    traffic:
      strategy: ${strategy}
      router: { type: haproxy, socket: ${join(proxyRoot, 'admin.sock')}, backend: app }
${extraYaml.replaceAll('PORT', String(port))}`;
    const configPath = join(root, 'rewind.yaml');
    await writeFile(configPath, `${sampleConfigYaml({ root, env: ENV, port, appName: 'unused', runtimeYaml })}${traffic}`);
    proxy = await startHaproxy(proxyRoot, [{ name: 'blue', host: '127.0.0.1', port: blue, weight: 100 }, { name: 'green', host: '127.0.0.1', port: green, weight: 0 }], port);
    context = await openContext({ config: configPath, env: process.env });
    // No view of stdout: the bench prints its own tables.
    const services: Services = await composeServices(context);
    const release = async (version: string, fault?: Parameters<typeof buildSampleArtifact>[1]['fault']) => {
      const artifact = await buildSampleArtifact(join(root, 'artifacts'), { version, fault });
      await registerRelease(services, ENV, version, { artifact, commit: 'b1e2e3f4a5', ci: 'passed' });
    };
    return { root, port, blue, green, services, ledger: context.ledger, release, close: async () => (forget(), await cleanup()) };
  } catch (error) {
    forget();
    await cleanup();
    throw error;
  }
}

/** wrk through haproxy for `seconds`, started now; resolves with its summary. */
function startWrk(port: number, seconds: number) {
  const threads = 2;
  const connections = 20;
  const wrk = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/health`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  wrk.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise<WrkSummary & { connections: number; threads: number }>((resolve, reject) =>
    wrk.once('close', (code) => (code === 0 ? resolve({ ...parseWrk(out), connections, threads }) : reject(new Error(`wrk exited ${code}: ${out}`)))),
  );
}

export async function blueGreenBench(options: { rollbacks?: number; log?: (line: string) => void } = {}): Promise<BlueGreenResult> {
  const rollbacks = options.rollbacks ?? 5;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const box = await slottedSandbox('blue-green');
  try {
    const { port, blue, green, services, root } = box;
    for (const version of RELEASES) {
      await box.release(version);
      const outcome = await deploy(services, ENV, version);
      if (!outcome.ok) throw new Error(`setup deploy of ${version} failed: ${outcome.error?.message}`);
    }
    log(`\nBlue-green rollback under load — haproxy :${port} in front of PM2 slots blue :${blue} / green :${green}, temp ${root}`);

    const load = startWrk(port, Math.max(6, rollbacks * 1.2 + 3));
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const operation: number[] = [];
    const switchStep: number[] = [];
    const firstAnswer: number[] = [];
    let switchOnly = true;
    let serving: string = RELEASES[1];
    for (let i = 0; i < rollbacks; i++) {
      const to = serving === RELEASES[1] ? RELEASES[0] : RELEASES[1];
      const started = performance.now();
      let answered = NaN;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          if ((await versionOnce(port)) === to) {
            answered = performance.now() - started;
            return;
          }
        }
      })();
      const outcome = await rollback(services, ENV, { to, reason: `bench round ${i + 1}` });
      operation.push(performance.now() - started);
      await Promise.race([poll, new Promise((resolve) => setTimeout(resolve, 3000))]);
      polling = false;
      if (!outcome.ok) throw new Error(`rollback to ${to} failed: ${outcome.error?.message}`);
      const steps = await box.ledger.listSteps(outcome.operation!.id);
      if (steps.some((s) => s.stepId === 'start-slot')) switchOnly = false;
      const step = steps.find((s) => s.stepId === 'switch-traffic');
      switchStep.push(Number((step?.detail as { durationMs?: number } | undefined)?.durationMs ?? NaN));
      firstAnswer.push(answered);
      serving = to;
      await new Promise((resolve) => setTimeout(resolve, 800));
    }
    const summary = await load;
    const result: BlueGreenResult = {
      measuredAt: new Date().toISOString(),
      router: 'haproxy',
      rollbacks,
      wrk: summary,
      operationMs: stats(operation),
      switchStepMs: stats(switchStep),
      firstAnswerMs: stats(firstAnswer),
      switchOnly,
      target: { failedRequests: 0, met: summary.failed === 0 },
    };
    log(
      table(
        ['rollbacks', 'wrk requests', 'failed (socket + non-2xx)', 'operation ms (median)', 'switch step ms (median)', 'first answer from the other release ms (median, max)'],
        [[rollbacks, summary.requests, summary.failed, ms(result.operationMs.median), ms(result.switchStepMs.median), `${ms(result.firstAnswerMs.median)}, ${ms(result.firstAnswerMs.max)}`]],
      ),
    );
    log(`every rollback a traffic switch only: ${switchOnly ? 'yes' : 'NO'}; 0 failed requests over ${rollbacks} rollbacks: ${verdict(result.target.met)}`);
    return result;
  } finally {
    await box.close();
  }
}

export interface CanaryAbortResult {
  measuredAt: string;
  aborts: number;
  wrk: WrkSummary & { connections: number; threads: number };
  /** Per abort, ms: from the failed canary-analysis verdict (its step's end) to the end of the switch back. */
  verdictToStableMs: Stats;
  /** Per abort: the measurement (1-based) of the 10 % step that decided it. */
  decidedAtMeasurement: number[];
  target: { failedRequests: 0; met: boolean };
}

/**
 * A canary that is slow (every ordinary request +250 ms; it still answers 200) is deployed under
 * wrk load, judged at 10 %, and aborted by the deploy's automatic rollback: all traffic back on the
 * stable slot. wrk must see no failed request throughout — the abort moves traffic without dropping
 * any — and the abort's speed is the time from the analysis' verdict to the switch's end.
 */
export async function canaryAbortBench(options: { aborts?: number; log?: (line: string) => void } = {}): Promise<CanaryAbortResult> {
  const aborts = options.aborts ?? 3;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const box = await slottedSandbox(
    'canary',
    `      canary: { steps: [10], measurements: 4 }
    watch:
      windowMs: 2000
      intervalMs: 500
      source: { type: http-probe, url: "http://127.0.0.1:PORT/", requests: 40, concurrency: 2 }
`,
  );
  try {
    const { port, services } = box;
    await box.release('1.0.0');
    await box.release('1.1.0-slow', { latencyMs: 250 });
    const first = await deploy(services, ENV, '1.0.0');
    if (!first.ok) throw new Error(`setup deploy of 1.0.0 failed: ${first.error?.message}`);
    log(`\nCanary abort under load — a canary 250 ms slower, judged at 10 % (4 × 500 ms), haproxy :${port}`);
    const load = startWrk(port, aborts * 4 + 2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const verdictToStable: number[] = [];
    const decidedAt: number[] = [];
    for (let i = 0; i < aborts; i++) {
      const outcome = await deploy(services, ENV, '1.1.0-slow');
      if (outcome.error?.code !== 'REWIND_E_DEPLOY_ROLLED_BACK' || !outcome.rollback?.ok) throw new Error(`abort ${i + 1}: expected a rolled-back canary, got ${outcome.error?.code}: ${outcome.error?.message}`);
      const judged = (await box.ledger.listSteps(outcome.operation!.id)).find((s) => s.stepId === 'canary-10');
      const switched = (await box.ledger.listSteps(outcome.rollback.operation!.id)).find((s) => s.stepId === 'switch-traffic');
      if (judged?.state !== 'failed' || !switched?.finishedAt || !judged.finishedAt) throw new Error(`abort ${i + 1}: the journal lacks the failed canary step or the switch`);
      verdictToStable.push(switched.finishedAt - judged.finishedAt);
      const readings = (judged.detail as { measurements: { seq: number; side: string; outcome?: string }[] }).measurements;
      decidedAt.push(Math.max(...readings.filter((r) => r.side === 'canary').map((r) => r.seq)));
    }
    const summary = await load;
    const result: CanaryAbortResult = {
      measuredAt: new Date().toISOString(),
      aborts,
      wrk: summary,
      verdictToStableMs: stats(verdictToStable),
      decidedAtMeasurement: decidedAt,
      target: { failedRequests: 0, met: summary.failed === 0 },
    };
    log(
      table(
        ['aborts', 'wrk requests', 'failed (socket + non-2xx)', 'verdict → all traffic on stable, ms (median, max)', 'decided at measurement'],
        [[aborts, summary.requests, summary.failed, `${ms(result.verdictToStableMs.median)}, ${ms(result.verdictToStableMs.max)}`, decidedAt.join(', ')]],
      ),
    );
    log(`0 failed requests over ${aborts} canary aborts: ${verdict(result.target.met)}`);
    return result;
  } finally {
    await box.close();
  }
}

// Traffic switching and automatic revert, measured on this machine against real nginx and haproxy.
//
//   1. failed requests during 5 weight switches (canary → stable and back, ending on stable) under
//      `wrk -t2 -c20 -d<N>s` (20 keep-alive connections): a bare `nginx -s reload` with a rewritten
//      upstream file, NginxRouter.setWeights, HaproxyRouter.setWeights (runtime API);
//   2. switch time: from calling the switch to the first response from the other backend (fresh
//      loopback connections in a tight, bounded loop), median of 12 per method;
//   3. time from an injected error spike to traffic back on stable: the real analysis
//      (defaultAnalysisTemplate, runAnalysis) on seeded simulated measurements, plus the measured
//      haproxy switch time; and false rollbacks over 50 healthy noisy runs.
//
// Everything listens on 127.0.0.1 only. nginx, haproxy and the backends' node process are started
// here and stopped by their pid (and nginx's workers by theirs), the temp dir is removed, also on
// failure or Ctrl-C. wrk runs through ProcessExecutor (argv, a timeout) and ends by itself after -d.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyRouter } from '../src/adapters/routers/haproxy/haproxy-router.js';
import { NginxRouter } from '../src/adapters/routers/nginx/nginx-router.js';
import { nginxWorkers } from '../src/adapters/routers/nginx/nginx-workers.js';
import { runAnalysis, type AnalysisDecision } from '../src/core/analysis/analysis-run.js';
import type { AnalysisTemplate, Measurement } from '../src/core/analysis/analysis-types.js';
import { defaultAnalysisTemplate, ERROR_RATE_METRIC, LATENCY_P95_METRIC } from '../src/core/analysis/default-analysis.js';
import { createSeededRandom, type SeededRandom } from '../src/core/analysis/seeded-random.js';
import { percentile } from '../src/core/analysis/statistics.js';
import { freePort } from '../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import type { CommandResult } from '../src/ports/executor.js';
import type { RouterBackends, TrafficWeights } from '../src/ports/traffic-router.js';
import { ms, onCleanup, stats, table, verdict, type Stats } from './bench-util.js';
import { accepts, haproxyCfg, nginxConf, waitUntil } from '../test/support/proxy-servers.js';

type Method = 'nginx -s reload (bare)' | 'NginxRouter.setWeights' | 'HaproxyRouter.setWeights';
const METHODS: readonly Method[] = ['nginx -s reload (bare)', 'NginxRouter.setWeights', 'HaproxyRouter.setWeights'];
type Proxy = 'nginx' | 'haproxy';
const proxyOf = (method: Method): Proxy => (method === 'HaproxyRouter.setWeights' ? 'haproxy' : 'nginx');

const STABLE: TrafficWeights = { stable: 100, canary: 0 };
const CANARY: TrafficWeights = { stable: 0, canary: 100 };
type Side = 'stable' | 'canary';
const weightsFor = (side: Side): TrafficWeights => (side === 'stable' ? STABLE : CANARY);
const other = (side: Side): Side => (side === 'stable' ? 'canary' : 'stable');

const WRK_THREADS = 2;
const WRK_CONNECTIONS = 20;
const SWITCHES_PER_ROUND = 5;
const UPSTREAM = 'rewind_app';

export interface WrkSummary {
  requests: number;
  seconds: number;
  requestsPerSec: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
  /** Socket errors of every kind plus non-2xx responses: requests a client without retries saw fail. */
  failed: number;
}

export interface LoadRound extends WrkSummary {
  method: Method | 'control (no switch)';
  proxy: Proxy;
  /** The sides switched to, in order (the round starts on canary and ends on stable). */
  switchedTo: Side[];
  /** Per switch: how long the call (setWeights / write + `nginx -s reload`) took. */
  switchCallMs: number[];
  /** Per switch: from the call to the first fresh-connection response from the new side, under load. */
  firstNewUnderLoadMs: number[];
}

export interface SwitchSample {
  to: Side;
  /** The call itself: setWeights resolving, or the file write + `nginx -s reload` exiting. */
  callMs: number;
  /** Call → the first response from the other backend. */
  firstNewMs: number;
  /** Call → the last response from the old backend seen in the loop (0: none after the call). */
  lastOldMs: number;
  /** Answers from the old backend after the first one from the new backend. */
  oldAfterFirstNew: number;
  requests: number;
  errors: number;
}

export interface SpikeSummary {
  requestsPerInterval: number;
  runs: number;
  /** Runs whose verdict turned `failed` within the watch window. */
  detected: number;
  /** Spike onset → the measurement whose verdict is `failed`, in intervals (detected runs). */
  delayIntervals: Stats;
  /** Spike onset → traffic back on stable: verdict delay + the median haproxy switch, in seconds. */
  toStableSeconds: Stats;
  /** Detected with verdict delay + switch ≤ 2 intervals + switch. */
  withinTarget: number;
  /** How many runs the verdict came 1, 2, 3… intervals (rounded up) after the onset. */
  delayHistogram: Record<string, number>;
}

export interface TrafficResult {
  measuredAt: string;
  /** 1/5/15-minute load averages before and after: other work on the 2 cores shows in every timing. */
  loadavg: { start: number[]; end: number[] };
  tools: { wrk: string; nginx: string; haproxy: string };
  load: {
    command: string[];
    seconds: number;
    rounds: number;
    switchesPerRound: number;
    firstSwitchAtMs: number;
    switchGapMs: number;
    control: LoadRound[];
    byMethod: Record<Method, { rounds: LoadRound[]; requests: number; failed: number; socketErrors: number; non2xx: number }>;
  };
  switchTime: {
    samplesPerMethod: number;
    byMethod: Record<Method, { callMs: Stats; firstNewMs: Stats; lastOldMs: Stats; samples: SwitchSample[] }>;
  };
  revert: {
    template: { intervalMs: number; count: number; errorRate: string; latency: string };
    model: string;
    haproxySwitchMs: number;
    targetSeconds: number;
    spike: SpikeSummary[];
    healthy: { runs: number; requestsPerInterval: number; errorRate: number; seeds: string; decisions: Record<AnalysisDecision, number>; falseRollbacks: number };
  };
  targets: {
    zeroFailedSwitches: { what: string; metBy: Method[]; met: boolean };
    revertWithinTwoIntervals: { what: string; met: boolean; detail: string };
    noFalseRollbacks: { what: string; met: boolean };
  };
}

const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));
const round1 = (x: number) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------------------------
// Processes started here: each kept with its pid and stopped by it.

interface Managed {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function startManaged(name: string, argv: string[], options: { stdin?: 'pipe' | 'ignore' } = {}): Managed {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], shell: false });
  if (child.pid === undefined) throw new Error(`cannot start ${name} (${argv[0]})`);
  const pid = child.pid;
  let output = '';
  const keep = (chunk: Buffer) => {
    if (output.length < 64 * 1024) output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`\n${name}: ${error.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    pid,
    output: () => output,
    async stop() {
      if (hasExited()) return;
      process.kill(pid, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!stopped && !hasExited()) {
        process.stderr.write(`warning: ${name} (pid ${pid}) still running 5 s after SIGTERM; sending SIGKILL\n`);
        process.kill(pid, 'SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
    },
  };
}

/**
 * The two backends in their own node process, so the bench's event loop (which times the switches)
 * is not the one serving wrk's load. It exits by itself when its stdin closes (the bench died).
 */
const BACKENDS_SCRIPT = `import { createServer } from 'node:http';
const start = (name) => new Promise((resolve) => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(name) });
    res.end(name);
  });
  server.keepAliveTimeout = 120000;
  server.listen(0, '127.0.0.1', () => resolve(server.address().port));
});
const stable = await start('stable');
const canary = await start('canary');
process.stdout.write(JSON.stringify({ stable, canary }) + '\\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

async function startBackendsProcess(root: string): Promise<{ process: Managed; backends: RouterBackends }> {
  const script = join(root, 'backends.mjs');
  await writeFile(script, BACKENDS_SCRIPT);
  const managed = startManaged('backends (node)', [process.execPath, script], { stdin: 'pipe' });
  let ports: { stable: number; canary: number } | undefined;
  await waitUntil('backends listening', () => {
    if (managed.child.exitCode !== null) throw new Error(`backends exited: ${managed.output()}`);
    const line = managed.output().split('\n').find((l) => l.startsWith('{'));
    if (line) ports = JSON.parse(line) as { stable: number; canary: number };
    return ports !== undefined;
  });
  return {
    process: managed,
    backends: { stable: { name: 'stable', host: '127.0.0.1', port: ports!.stable }, canary: { name: 'canary', host: '127.0.0.1', port: ports!.canary } },
  };
}

// ---------------------------------------------------------------------------------------------
// Requests and wrk.

/** One GET on a fresh connection (no agent, `Connection: close`), bounded by `timeoutMs`. */
function freshGet(port: number, timeoutMs = 1000): Promise<{ body?: string; status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ body, status: res.statusCode }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

/** wrk's summary lines: "N requests in Xs", "Socket errors: …" and "Non-2xx or 3xx responses: N" (absent when 0). */
export function parseWrk(stdout: string): WrkSummary {
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)\b/.exec(stdout);
  if (!total) throw new Error(`wrk printed no "requests in" line:\n${stdout}`);
  const unit = total[3] === 'ms' ? 0.001 : total[3] === 'm' ? 60 : 1;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = sock ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) } : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const errors = socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout;
  return { requests: Number(total[1]), seconds: Number(total[2]) * unit, requestsPerSec: rps, socketErrors, non2xx, failed: errors + non2xx };
}

async function toolVersion(executor: ProcessExecutor, argv: string[]): Promise<string | null> {
  try {
    const r = await executor.run({ argv, timeoutMs: 10_000 });
    return `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  } catch {
    return null; // not installed
  }
}

// ---------------------------------------------------------------------------------------------
// The analysis simulation: the service model of src/core/analysis/default-analysis.test.ts.

const SIM = { medianMs: 80, sigma: 0.35, drift: 0.04, preflight: 600, baseErrorRate: 0.02, spikeErrorRate: 0.2 } as const;
const SIM_EPOCH = 1_700_000_000_000;

/**
 * Per interval: `requests` requests at uniform times inside it, each an error with probability
 * baseErrorRate before `spikeAtMs` and spikeErrorRate from it on; latencies lognormal (median 80 ms,
 * σ 0.35, the interval's median drifting by N(0, 0.04) in log space). Measurement i covers
 * [(i−1)·interval, i·interval) and is judged at its end. Baseline p95 from a 600-request preflight.
 */
function simulatedService(rnd: SeededRandom, intervalMs: number, requests: number, spikeAtMs = Infinity) {
  const mu = Math.log(SIM.medianMs);
  const preflight = Array.from({ length: SIM.preflight }, () => rnd.lognormal(mu, SIM.sigma));
  const baselines = { [LATENCY_P95_METRIC]: percentile(preflight, 0.95)! };
  function* measurements(): Generator<Measurement> {
    // Bounded: runAnalysis stops at the template's count (18) at the latest; 1,000 is a backstop.
    for (let i = 1; i <= 1000; i++) {
      const start = (i - 1) * intervalMs;
      let errors = 0;
      for (let j = 0; j < requests; j++) {
        const t = start + rnd.next() * intervalMs;
        if (rnd.next() < (t >= spikeAtMs ? SIM.spikeErrorRate : SIM.baseErrorRate)) errors++;
      }
      const drift = SIM.drift * rnd.normal();
      const latencies = Array.from({ length: requests }, () => rnd.lognormal(mu + drift, SIM.sigma));
      const at = SIM_EPOCH + i * intervalMs;
      yield { metric: ERROR_RATE_METRIC, at, value: errors / requests, count: requests, errors };
      yield { metric: LATENCY_P95_METRIC, at, value: percentile(latencies, 0.95) };
    }
  }
  return { baselines, measurements: measurements() };
}

/** Interval (1-based) of the measurement that decided, from runAnalysis's `consumed` (2 metrics per interval). */
const decidedInterval = (consumed: number, metrics: number) => Math.ceil(consumed / metrics);

function spikeRuns(template: AnalysisTemplate, requests: number, runs: number, seedBase: number, switchMs: number): SpikeSummary {
  const I = template.intervalMs;
  const delays: number[] = [];
  const toStable: number[] = [];
  const histogram: Record<string, number> = {};
  let withinTarget = 0;
  for (let k = 0; k < runs; k++) {
    const rnd = createSeededRandom(seedBase + k);
    // Onset anywhere in the first count − 3 intervals, so at least 3 whole intervals follow it in the window.
    const spikeAtMs = rnd.next() * (template.count - 3) * I;
    const { baselines, measurements } = simulatedService(rnd, I, requests, spikeAtMs);
    const { verdict: v, consumed } = runAnalysis(template, measurements, baselines);
    if (v.decision !== 'failed') {
      histogram.undetected = (histogram.undetected ?? 0) + 1;
      continue;
    }
    const delayMs = decidedInterval(consumed, template.metrics.length) * I - spikeAtMs;
    delays.push(delayMs / I);
    toStable.push((delayMs + switchMs) / 1000);
    const bucket = String(Math.ceil(delayMs / I));
    histogram[bucket] = (histogram[bucket] ?? 0) + 1;
    if (delayMs + switchMs <= 2 * I + switchMs) withinTarget++;
  }
  return { requestsPerInterval: requests, runs, detected: delays.length, delayIntervals: stats(delays), toStableSeconds: stats(toStable), withinTarget, delayHistogram: histogram };
}

function healthyRuns(template: AnalysisTemplate, requests: number, runs: number, seedBase: number): Record<AnalysisDecision, number> {
  const decisions: Record<AnalysisDecision, number> = { continue: 0, succeeded: 0, failed: 0, paused: 0 };
  for (let k = 0; k < runs; k++) {
    const { baselines, measurements } = simulatedService(createSeededRandom(seedBase + k), template.intervalMs, requests);
    decisions[runAnalysis(template, measurements, baselines).verdict.decision]++;
  }
  return decisions;
}

// ---------------------------------------------------------------------------------------------

export interface TrafficBenchOptions {
  /** wrk -d, seconds. Default 8. */
  loadSeconds?: number;
  /** Load rounds per method (5 switches each). Default 3. */
  rounds?: number;
  /** Switch-time samples per method (after one warm-up). Default 12. */
  switchSamples?: number;
  /** Seeded error-spike runs per traffic level. Default 200. */
  spikeRuns?: number;
  /** Seeded healthy runs. Default 50. */
  healthyRuns?: number;
  log?: (line: string) => void;
}

export async function trafficBench(options: TrafficBenchOptions = {}): Promise<TrafficResult> {
  const loadSeconds = options.loadSeconds ?? 8;
  const rounds = options.rounds ?? 3;
  const switchSamples = Math.max(10, options.switchSamples ?? 12);
  const spikeRunCount = options.spikeRuns ?? 200;
  const healthyRunCount = options.healthyRuns ?? 50;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const executor = new ProcessExecutor();
  const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
  const loadAtStart = load();

  const wrkVersion = await toolVersion(executor, ['wrk', '-v']);
  if (wrkVersion === null) throw new Error('wrk is not installed: apt-get install -y wrk');
  const nginxVersion = await toolVersion(executor, ['nginx', '-v']);
  if (nginxVersion === null) throw new Error('nginx is not installed: apt-get install -y nginx');
  const haproxyVersion = await toolVersion(executor, ['haproxy', '-v']);
  if (haproxyVersion === null) throw new Error('haproxy is not installed: apt-get install -y haproxy');

  const root = await mkdtemp(join(tmpdir(), 'rewind-bench-traffic-'));
  // nginx's workers run as nobody when nginx starts as root; they must reach the temp paths.
  await chmod(root, 0o755);
  let backendsProcess: Managed | undefined;
  let nginx: Managed | undefined;
  let haproxy: Managed | undefined;
  let nginxRouter: NginxRouter | undefined;
  let haproxyRouter: HaproxyRouter | undefined;
  const pendingWrk = new Set<Promise<unknown>>();
  let cleaned = false;

  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await nginxRouter?.close().catch(() => undefined);
    await haproxyRouter?.close().catch(() => undefined);
    // wrk stops by itself after -d (and ProcessExecutor kills it at its timeout): wait for it.
    await Promise.allSettled([...pendingWrk]);
    if (nginx) {
      const workers = (nginxWorkers(nginx.pid) ?? []).map((w) => w.pid);
      await nginx.stop();
      for (const pid of workers) {
        if (alive(pid)) {
          process.stderr.write(`warning: nginx worker ${pid} outlived its master; sending SIGKILL\n`);
          process.kill(pid, 'SIGKILL');
        }
      }
    }
    await haproxy?.stop();
    await backendsProcess?.stop();
    await rm(root, { recursive: true, force: true });
  };
  const forget = onCleanup(cleanup);

  try {
    // --- set-up: backends, nginx, haproxy --------------------------------------------------
    const started = await startBackendsProcess(root);
    backendsProcess = started.process;
    const backends = started.backends;

    const nginxPort = await freePort();
    const nginxConfFile = join(root, 'nginx.conf');
    const upstreamFile = join(root, 'upstream.conf');
    const errorLog = join(root, 'error.log');
    await writeFile(nginxConfFile, nginxConf(root, nginxPort, UPSTREAM));
    nginxRouter = new NginxRouter({ backends, upstreamFile, upstream: UPSTREAM, prefix: root, configFile: nginxConfFile, errorLog, pidFile: join(root, 'nginx.pid') }, executor);
    await writeFile(upstreamFile, nginxRouter.render(CANARY));
    const nginxArgv = ['nginx', '-p', root, '-c', nginxConfFile, '-e', errorLog];
    nginx = startManaged('nginx', nginxArgv);
    await waitUntil('nginx listening', async () => {
      if (nginx!.child.exitCode !== null) throw new Error(`nginx exited: ${nginx!.output()}`);
      return accepts(nginxPort);
    });

    const haproxyPort = await freePort();
    const haproxyCfgFile = join(root, 'haproxy.cfg');
    const socket = join(root, 'admin.sock');
    await writeFile(haproxyCfgFile, haproxyCfg(root, haproxyPort, [{ ...backends.stable, weight: 100 }, { ...backends.canary, weight: 0 }]));
    haproxy = startManaged('haproxy', ['haproxy', '-db', '-f', haproxyCfgFile]);
    await waitUntil('haproxy listening', async () => {
      if (haproxy!.child.exitCode !== null) throw new Error(`haproxy exited: ${haproxy!.output()}`);
      return existsSync(socket) && (await accepts(haproxyPort));
    });
    haproxyRouter = new HaproxyRouter({ backends, backend: 'app', socket });

    const portOf: Record<Proxy, number> = { nginx: nginxPort, haproxy: haproxyPort };
    const nr = nginxRouter;
    const hr = haproxyRouter;
    const ensure = async (proxy: Proxy, side: Side) => {
      const outcome = await (proxy === 'nginx' ? nr : hr).setWeights(weightsFor(side));
      if (outcome.status !== 'succeeded') throw new Error(`${proxy}: setting ${side} failed: ${outcome.message}`);
    };
    const bareReload = async (side: Side) => {
      // What a hand-written switch does: rewrite the upstream file, signal the master, done.
      await writeFile(upstreamFile, nr.render(weightsFor(side)));
      const r: CommandResult = await executor.run({ argv: [...nginxArgv, '-s', 'reload'], timeoutMs: 10_000 });
      if (r.exitCode !== 0) throw new Error(`nginx -s reload exited ${r.exitCode ?? r.signal}: ${r.stderr}`);
    };
    const switchTo: Record<Method, (side: Side) => Promise<void>> = {
      'nginx -s reload (bare)': bareReload,
      'NginxRouter.setWeights': (side) => ensure('nginx', side),
      'HaproxyRouter.setWeights': (side) => ensure('haproxy', side),
    };
    const state: Record<Proxy, Side> = { nginx: 'canary', haproxy: 'stable' };
    for (const proxy of ['nginx', 'haproxy'] as const) {
      await ensure(proxy, 'canary');
      state[proxy] = 'canary';
    }
    log(`\nTraffic switching — nginx on :${nginxPort}, haproxy on :${haproxyPort}, backends stable :${backends.stable.port} / canary :${backends.canary.port} (one node process), temp ${root}`);
    log(`load average at start: ${loadAtStart.join(' ')}`);
    log(`tools: ${wrkVersion.split(' Copyright')[0]}; ${nginxVersion}; ${haproxyVersion.split(' - ')[0]}`);

    /** Polls fresh connections until `side` answers, at most `timeoutMs`; ms from `t0`, or NaN. */
    const firstFrom = async (port: number, side: Side, t0: number, timeoutMs: number) => {
      const deadline = performance.now() + timeoutMs;
      for (let i = 0; i < 20_000 && performance.now() < deadline; i++) {
        const answer = await freshGet(port);
        if (answer.body === side) return performance.now() - t0;
      }
      return NaN;
    };

    // --- 2. switch time (measured first: wrk's rounds leave tens of thousands of TIME_WAIT sockets) ---
    const measureSwitch = async (method: Method, to: Side): Promise<SwitchSample> => {
      const proxy = proxyOf(method);
      const port = portOf[proxy];
      if (state[proxy] === to) {
        // nginx's two methods share one nginx: put it on the other side first (not timed).
        await ensure(proxy, other(to));
        state[proxy] = other(to);
        await sleep(300);
      }
      const from = state[proxy];
      const t0 = performance.now();
      let callMs: number | undefined;
      let callError: unknown;
      const call = switchTo[method](to).then(
        () => void (callMs = performance.now() - t0),
        (error: unknown) => {
          callError = error;
          callMs = performance.now() - t0;
        },
      );
      let firstNew: number | undefined;
      let lastOld = 0;
      let oldAfterFirstNew = 0;
      let requests = 0;
      let errors = 0;
      // Bounded: 3 s and 20,000 requests; ends 300 ms after both the call returned and the new side answered.
      const deadline = t0 + 3000;
      while (performance.now() < deadline && requests < 20_000) {
        const answer = await freshGet(port);
        const at = performance.now() - t0;
        requests++;
        if (answer.error !== undefined || answer.status !== 200) errors++;
        else if (answer.body === to) firstNew ??= at;
        else if (answer.body === from) {
          lastOld = at;
          if (firstNew !== undefined) oldAfterFirstNew++;
        }
        if (callMs !== undefined && firstNew !== undefined && at > Math.max(callMs, firstNew) + 300) break;
      }
      await call;
      if (callError) throw callError;
      state[proxy] = to;
      return { to, callMs: round1(callMs!), firstNewMs: firstNew === undefined ? NaN : round1(firstNew), lastOldMs: round1(lastOld), oldAfterFirstNew, requests, errors };
    };

    log(`\nSwitch time: call → first response from the other backend, fresh loopback connections back to back; ${switchSamples} per method (+1 warm-up), interleaved`);
    const switchSamplesBy: Record<Method, SwitchSample[]> = { 'nginx -s reload (bare)': [], 'NginxRouter.setWeights': [], 'HaproxyRouter.setWeights': [] };
    for (let i = 0; i < switchSamples + 1; i++) {
      for (const method of METHODS) {
        const sample = await measureSwitch(method, i % 2 === 0 ? 'stable' : 'canary');
        if (i > 0) switchSamplesBy[method].push(sample);
        await sleep(300); // nginx's old workers finish before the next switch
      }
    }
    const switchBy = Object.fromEntries(
      METHODS.map((m) => {
        const s = switchSamplesBy[m];
        return [m, { callMs: stats(s.map((x) => x.callMs)), firstNewMs: stats(s.map((x) => x.firstNewMs).filter(Number.isFinite)), lastOldMs: stats(s.map((x) => x.lastOldMs)), samples: s }];
      }),
    ) as TrafficResult['switchTime']['byMethod'];
    for (const m of METHODS) {
      const s = switchSamplesBy[m];
      const missing = s.filter((x) => !Number.isFinite(x.firstNewMs)).length;
      if (missing > 0) log(`  warning: ${m}: ${missing} switches never answered from the new side within 3 s`);
      log(`  ${m}: first new ms ${s.map((x) => ms(x.firstNewMs)).join(', ')}; errors ${s.reduce((a, x) => a + x.errors, 0)}`);
    }

    // --- 1. failed requests during 5 switches under wrk ------------------------------------
    const firstSwitchAtMs = 1000;
    // The last switch 1.5 s before wrk ends, so its confirmation and nginx's old workers fit in the run.
    const switchGapMs = Math.floor((loadSeconds * 1000 - firstSwitchAtMs - 1500) / (SWITCHES_PER_ROUND - 1));
    const wrkArgv = (port: number) => ['wrk', `-t${WRK_THREADS}`, `-c${WRK_CONNECTIONS}`, `-d${loadSeconds}s`, `http://127.0.0.1:${port}/`];

    const loadRound = async (method: Method | 'control (no switch)', proxy: Proxy): Promise<LoadRound> => {
      const port = portOf[proxy];
      await ensure(proxy, 'canary');
      state[proxy] = 'canary';
      await sleep(300); // old nginx workers of the reset finish
      const wrk = executor.run({ argv: wrkArgv(port), timeoutMs: (loadSeconds + 30) * 1000 });
      pendingWrk.add(wrk);
      const t0 = performance.now();
      const switchedTo: Side[] = [];
      const switchCallMs: number[] = [];
      const firstNewUnderLoadMs: number[] = [];
      let switchError: unknown;
      if (method !== 'control (no switch)') {
        try {
          for (let i = 0; i < SWITCHES_PER_ROUND; i++) {
            const wait = t0 + firstSwitchAtMs + i * switchGapMs - performance.now();
            if (wait > 0) await sleep(wait);
            const to = other(state[proxy]);
            const s0 = performance.now();
            await switchTo[method](to);
            switchCallMs.push(round1(performance.now() - s0));
            state[proxy] = to;
            switchedTo.push(to);
            firstNewUnderLoadMs.push(round1(await firstFrom(port, to, s0, 2000)));
          }
        } catch (error) {
          switchError = error;
        }
      }
      const result = await wrk;
      pendingWrk.delete(wrk);
      if (switchError) throw switchError;
      if (result.exitCode !== 0) throw new Error(`wrk exited ${result.exitCode ?? result.signal}${result.timedOut ? ' (timed out)' : ''}: ${result.stderr}\n${result.stdout}`);
      if (performance.now() - t0 > (loadSeconds + 5) * 1000) log(`  warning: the ${method} round outlasted wrk's ${loadSeconds} s`);
      return { method, proxy, switchedTo, switchCallMs, firstNewUnderLoadMs, ...parseWrk(result.stdout) };
    };

    log(`\nFailed requests during ${SWITCHES_PER_ROUND} switches (canary → stable → canary → stable → canary → stable) under \`${wrkArgv(0).slice(0, 4).join(' ')}\`, ${rounds} rounds per method, order rotated`);
    const control: LoadRound[] = [];
    for (const proxy of ['nginx', 'haproxy'] as const) {
      const r = await loadRound('control (no switch)', proxy);
      control.push(r);
      log(`  control ${proxy}: ${r.requests} requests, ${r.failed} failed (no switch)`);
    }
    const byMethodRounds: Record<Method, LoadRound[]> = { 'nginx -s reload (bare)': [], 'NginxRouter.setWeights': [], 'HaproxyRouter.setWeights': [] };
    for (let r = 0; r < rounds; r++) {
      const order = METHODS.map((_, k) => METHODS[(r + k) % METHODS.length]!);
      for (const method of order) {
        const result = await loadRound(method, proxyOf(method));
        byMethodRounds[method].push(result);
        const e = result.socketErrors;
        log(
          `  round ${r + 1} ${method}: ${result.failed} failed of ${result.requests} (${Math.round(result.requestsPerSec)} req/s; socket errors connect ${e.connect} read ${e.read} write ${e.write} timeout ${e.timeout}; non-2xx ${result.non2xx}); ` +
            `call ms ${result.switchCallMs.join(', ')}; new side seen under load after ms ${result.firstNewUnderLoadMs.map(ms).join(', ')}`,
        );
      }
    }
    const byMethodLoad = Object.fromEntries(
      METHODS.map((m) => {
        const rs = byMethodRounds[m];
        const sum = (f: (x: LoadRound) => number) => rs.reduce((a, x) => a + f(x), 0);
        const sockets = sum((x) => x.socketErrors.connect + x.socketErrors.read + x.socketErrors.write + x.socketErrors.timeout);
        return [m, { rounds: rs, requests: sum((x) => x.requests), failed: sum((x) => x.failed), socketErrors: sockets, non2xx: sum((x) => x.non2xx) }];
      }),
    ) as TrafficResult['load']['byMethod'];

    // Back to a clean state for whoever looks at the proxies next (they are stopped below anyway).
    for (const proxy of ['nginx', 'haproxy'] as const) await ensure(proxy, 'stable');
    const finalCheck = await Promise.all([freshGet(nginxPort), freshGet(haproxyPort)]);
    if (finalCheck.some((a) => a.body !== 'stable')) throw new Error(`after the bench the proxies answer ${finalCheck.map((a) => a.body ?? a.error).join(', ')} instead of stable`);

    // --- 3. error spike → verdict → switch; false rollbacks --------------------------------
    const template = defaultAnalysisTemplate({ intervalMs: 10_000 });
    const haproxySwitchMs = switchBy['HaproxyRouter.setWeights'].firstNewMs.median;
    const targetSeconds = (2 * template.intervalMs + haproxySwitchMs) / 1000;
    // 100 is the HTTP probe's default (watch.source.requests); 40 and 400 bracket it.
    const DEFAULT_PROBE_REQUESTS = 100;
    const spike = [40, DEFAULT_PROBE_REQUESTS, 400].map((requests, k) => spikeRuns(template, requests, spikeRunCount, 1_000_000 * (k + 1), haproxySwitchMs));
    const healthySeedBase = 5_000;
    const healthyRequests = 40;
    const healthyDecisions = healthyRuns(template, healthyRequests, healthyRunCount, healthySeedBase);
    const errorSpec = template.metrics.find((m) => m.name === ERROR_RATE_METRIC)!.failureCondition as { value: number; confidence?: number };

    const result: TrafficResult = {
      measuredAt: new Date().toISOString(),
      loadavg: { start: loadAtStart, end: load() },
      tools: { wrk: wrkVersion, nginx: nginxVersion, haproxy: haproxyVersion },
      load: { command: wrkArgv(0).slice(0, 4), seconds: loadSeconds, rounds, switchesPerRound: SWITCHES_PER_ROUND, firstSwitchAtMs, switchGapMs, control, byMethod: byMethodLoad },
      switchTime: { samplesPerMethod: switchSamples, byMethod: switchBy },
      revert: {
        template: { intervalMs: template.intervalMs, count: template.count, errorRate: `> ${errorSpec.value} at ${(errorSpec.confidence ?? 0) * 100} % confidence, failureLimit 0`, latency: 'p95 > 1.5 × baseline, failureLimit 1' },
        model:
          `per interval N requests at uniform times, each an error with p = ${SIM.baseErrorRate} (from the onset: ${SIM.spikeErrorRate}); latencies lognormal median ${SIM.medianMs} ms σ ${SIM.sigma}, ` +
          `interval drift N(0, ${SIM.drift}); baseline p95 from ${SIM.preflight} preflight requests; onset uniform in the first ${template.count - 3} intervals; measurement i judged at i × interval`,
        haproxySwitchMs,
        targetSeconds: Math.round(targetSeconds * 1000) / 1000,
        spike,
        healthy: {
          runs: healthyRunCount,
          requestsPerInterval: healthyRequests,
          errorRate: SIM.baseErrorRate,
          seeds: `${healthySeedBase}–${healthySeedBase + healthyRunCount - 1}`,
          decisions: healthyDecisions,
          falseRollbacks: healthyDecisions.failed,
        },
      },
      targets: {
        zeroFailedSwitches: { what: `0 failed requests over ${SWITCHES_PER_ROUND} switches under wrk -c${WRK_CONNECTIONS}, through at least one router`, metBy: [], met: false },
        revertWithinTwoIntervals: { what: `spike → traffic on stable ≤ 2 × ${template.intervalMs / 1000} s + the haproxy switch (${ms(haproxySwitchMs)} ms), at the probe's default ${DEFAULT_PROBE_REQUESTS} requests per interval`, met: false, detail: '' },
        noFalseRollbacks: { what: `0 failed verdicts over ${healthyRunCount} healthy runs`, met: healthyDecisions.failed === 0 },
      },
    };
    const metBy = (['NginxRouter.setWeights', 'HaproxyRouter.setWeights'] as const).filter((m) => byMethodLoad[m].rounds.every((r) => r.failed === 0));
    result.targets.zeroFailedSwitches.metBy = metBy;
    result.targets.zeroFailedSwitches.met = metBy.length > 0;
    // Judged at the default probe size; the other rows show what a smaller or larger probe buys.
    const atDefault = spike.find((s) => s.requestsPerInterval === DEFAULT_PROBE_REQUESTS)!;
    result.targets.revertWithinTwoIntervals.met = atDefault.withinTarget === atDefault.runs;
    result.targets.revertWithinTwoIntervals.detail = spike.map((s) => `${s.withinTarget}/${s.runs} runs at ${s.requestsPerInterval} requests per interval`).join(', ');

    // --- report ----------------------------------------------------------------------------
    log(`\nFailed requests under \`${result.load.command.join(' ')}\`, ${SWITCHES_PER_ROUND} switches per round (1 s in, then every ${switchGapMs} ms), ${rounds} rounds`);
    log(
      table(
        ['method', 'requests', 'req/s', 'socket errors', 'non-2xx', 'failed per round', 'failed total'],
        [
          ...control.map((r) => [`control, no switch (${r.proxy})`, r.requests, Math.round(r.requestsPerSec), r.failed - r.non2xx, r.non2xx, String(r.failed), r.failed]),
          ...METHODS.map((m) => {
            const x = byMethodLoad[m];
            const rps = Math.round(x.rounds.reduce((a, r) => a + r.requestsPerSec, 0) / x.rounds.length);
            return [m, x.requests, rps, x.socketErrors, x.non2xx, x.rounds.map((r) => r.failed).join(' / '), x.failed];
          }),
        ],
      ),
    );
    log(`target: ${result.targets.zeroFailedSwitches.what} → ${verdict(result.targets.zeroFailedSwitches.met)}${metBy.length ? ` (${metBy.join(', ')})` : ''}`);

    log(`\nSwitch time (ms), ${switchSamples} switches per method, alternating direction`);
    log(
      table(
        ['method', 'call median', 'first other-backend answer: median', 'p90', 'min', 'max', 'last old answer: median'],
        METHODS.map((m) => {
          const s = switchBy[m];
          return [m, ms(s.callMs.median), ms(s.firstNewMs.median), ms(s.firstNewMs.p90), ms(s.firstNewMs.min), ms(s.firstNewMs.max), ms(s.lastOldMs.median)];
        }),
      ),
    );

    log(`\nError spike (2 % → 20 %) → verdict failed → haproxy switch; defaultAnalysisTemplate (interval ${template.intervalMs / 1000} s, ${template.count} measurements), ${spikeRunCount} seeded runs per row`);
    log(
      table(
        ['requests / interval', 'detected', 'delay intervals: median', 'p90', 'max', 'to stable s: median', 'p90', 'max', `≤ ${ms(targetSeconds)} s`],
        spike.map((s) => [
          s.requestsPerInterval,
          `${s.detected}/${s.runs}`,
          s.delayIntervals.median.toFixed(2),
          s.delayIntervals.p90.toFixed(2),
          s.delayIntervals.max.toFixed(2),
          s.toStableSeconds.median.toFixed(1),
          s.toStableSeconds.p90.toFixed(1),
          s.toStableSeconds.max.toFixed(1),
          `${s.withinTarget}/${s.runs}`,
        ]),
      ),
    );
    for (const s of spike) log(`  ${s.requestsPerInterval} req/interval: verdict came in the Nth interval after the onset: ${JSON.stringify(s.delayHistogram)}`);
    log(`target: ${result.targets.revertWithinTwoIntervals.what} → ${verdict(result.targets.revertWithinTwoIntervals.met)} (${result.targets.revertWithinTwoIntervals.detail})`);
    log(`healthy: ${healthyRunCount} runs, ${healthyRequests} requests per interval, ${SIM.baseErrorRate * 100} % errors, seeds ${result.revert.healthy.seeds}: ${JSON.stringify(healthyDecisions)} → false rollbacks ${healthyDecisions.failed}, target 0: ${verdict(healthyDecisions.failed === 0)}`);
    return result;
  } finally {
    await cleanup();
    forget();
  }
}

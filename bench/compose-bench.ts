import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_CLI, DockerEngine, freePort } from '../test/support/docker-engine.js';
import { CLI_MAIN, ms, onCleanup, run, runOk, stats, table, type Stats } from './bench-util.js';

const ENV = 'production';
/** Issue 15's goal: a compose rollback within 1.2x of the hand-run. */
export const COMPOSE_ROLLBACK_TARGET = { ratio: 1.2 };

/** A stack to roll back: how long its app takes to boot, and its HEALTHCHECK interval. */
export interface ComposeScenario {
  name: string;
  bootSeconds: number;
  healthcheckInterval: string;
}

/**
 * The app booting at once with a 300 ms healthcheck (the smallest stack: rewind's fixed costs show
 * whole), and apps that take 2 and 5 s to boot with Docker's default 30 s interval (a small real
 * service: the boot dominates, and without execHealthcheck activate would wait for Docker's probe).
 */
export const COMPOSE_SCENARIOS: readonly ComposeScenario[] = [
  { name: 'boots at once, HEALTHCHECK every 300 ms', bootSeconds: 0, healthcheckInterval: '300ms' },
  { name: 'boots in 2 s, HEALTHCHECK every 30 s (Docker\'s default)', bootSeconds: 2, healthcheckInterval: '30s' },
  { name: 'boots in 5 s, HEALTHCHECK every 30 s (Docker\'s default)', bootSeconds: 5, healthcheckInterval: '30s' },
];

export interface ComposeScenarioResult {
  scenario: ComposeScenario;
  /** rewind: command to exit (LKG serving, then verified and journaled); rewindServing: command to the LKG first answering the poll, as the hand-run is timed. */
  samplesMs: { rewind: number[]; rewindServing: number[]; hand: number[] };
  stats: { rewind: Stats; rewindServing: Stats; hand: Stats };
  /** rewind's rollback, medians of its journaled steps (ms). */
  rewindStepsMs: Record<string, number>;
  /** rewind's median (to exit) minus the hand-run's: what rewind adds, in ms. */
  overMs: number;
  /** rewind to exit against the hand-run (the strict reading: rewind's own verification included). */
  ratio: number;
  /** rewind to the LKG serving against the hand-run (the words: "command to LKG serving"). */
  servingRatio: number;
  target: { ratio: number; met: boolean; servingMet: boolean };
}

export interface ComposeBenchResult {
  measuredAt: string;
  rounds: number;
  scenarios: ComposeScenarioResult[];
  versions: { dockerd: string; compose: string };
}

/**
 * A Compose rollback, command to the previous release serving, two ways on one engine (a throwaway
 * dockerd, docker-compose 1.29, a local registry), interleaved round by round, for each scenario:
 * - rewind: `rewind rollback production` (CLI, a fresh process): plan, lock, journal, pins, `up -d
 *   --no-deps web`, wait for the container's own healthcheck, rewind's health check;
 * - by hand, as the seed playbooks do: `WEB_IMAGE=<registry>/web:1.0.0 docker-compose -p hand -f … up -d web`,
 *   then poll the app every 50 ms until it answers 1.0.0.
 * Both stacks of a scenario run the same images (busybox httpd), each on its own port.
 */
export async function composeBench(options: { rounds?: number; scenarios?: readonly ComposeScenario[]; log?: (line: string) => void } = {}): Promise<ComposeBenchResult> {
  const rounds = options.rounds ?? 5;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const engine = await DockerEngine.start();
  const root = await mkdtemp(join(tmpdir(), 'rewind-bench-compose-'));
  const cleanup = async () => {
    await engine.stop();
    await rm(root, { recursive: true, force: true });
  };
  const forget = onCleanup(cleanup);
  try {
    const registry = await engine.registry();
    const env = { ...process.env, ...engine.env };
    const scenarios: ComposeScenarioResult[] = [];
    for (const [n, scenario] of (options.scenarios ?? COMPOSE_SCENARIOS).entries()) {
      log(`\n### ${scenario.name}`);
      const build = { bootSeconds: scenario.bootSeconds, healthcheckInterval: scenario.healthcheckInterval };
      const repo = `web${n}`;
      const old = await engine.buildApp(registry, repo, '1.0.0', build);
      const next = await engine.buildApp(registry, repo, '1.1.0', build);
      const rewindPort = await freePort();
      const handPort = await freePort();
      // rewind's stack.
      const dir = join(root, `rewind-${n}`);
      await mkdir(dir);
      await writeFile(join(dir, 'docker-compose.yml'), `version: "3.8"\nservices:\n  web:\n    image: ${registry.address}/${repo}:latest\n    network_mode: host\n    environment:\n      PORT: "${rewindPort}"\n`);
      const config = join(dir, 'rewind.yaml');
      await writeFile(
        config,
        `environments:\n  ${ENV}:\n    target:\n      type: compose\n      project: bench${n}\n      files: [docker-compose.yml]\n      docker: ${DOCKER_CLI}\n      dockerHost: ${engine.host}\n    health:\n      url: http://127.0.0.1:${rewindPort}/health\n      backoffMs: 50\n    deploy:\n      baselineHealth: false\n`,
      );
      const rewind = (...args: string[]) => runOk([process.execPath, CLI_MAIN, ...args, '--config', config], { env, timeoutMs: 180_000 });
      await rewind('release', 'register', ENV, '1.0.0', '--image', `web=${old.pinned}`, '--ci', 'passed');
      await rewind('deploy', ENV, '1.0.0');
      // The hand-run stack: the compose file reads the image from a variable (seed 001).
      const handDir = join(root, `hand-${n}`);
      await mkdir(handDir);
      const handFile = join(handDir, 'docker-compose.yml');
      await writeFile(handFile, `version: "3.8"\nservices:\n  web:\n    image: \${WEB_IMAGE}\n    network_mode: host\n    environment:\n      PORT: "${handPort}"\n`);
      const hand = async (tag: string, version: string) => {
        const started = performance.now();
        await runOk(['docker-compose', '-p', `hand${n}`, '-f', handFile, 'up', '-d', 'web'], { env: { ...env, WEB_IMAGE: tag } });
        return (await pollVersion(handPort, version, started, 'hand-run')) - started;
      };
      const samples = { rewind: [] as number[], rewindServing: [] as number[], hand: [] as number[] };
      const steps: Record<string, number[]> = {};
      for (let i = 0; i < rounds; i++) {
        // Untimed: both stacks forward to 1.1.0 (rewind: a new version of the same image, so the LKG stays 1.0.0).
        const version = `1.1.${i}`;
        await rewind('release', 'register', ENV, version, '--image', `web=${next.pinned}`, '--ci', 'passed');
        await rewind('deploy', ENV, version);
        await hand(next.tag, '1.1.0');
        const timeRewind = async () => {
          // The same 50 ms poll as the hand-run's, from the command's start: when the LKG serves again.
          const started = performance.now();
          const stopPolling = new AbortController();
          const serving = pollVersion(rewindPort, '1.0.0', started, 'rewind rollback', stopPolling.signal);
          const result = await run([process.execPath, CLI_MAIN, 'rollback', ENV, '--yes', '--json', '--config', config], { env, timeoutMs: 180_000 });
          if (result.code !== 0) {
            // The run fails here; its poller must not keep asking the stack for two more minutes.
            stopPolling.abort();
            await serving.catch(() => undefined);
            throw new Error(`rewind rollback exited ${result.code}: ${result.stderr}`);
          }
          const answer = await fetch(`http://127.0.0.1:${rewindPort}/version`).then((r) => r.text());
          if (answer.trim() !== '1.0.0') throw new Error(`after rewind rollback, ${answer.trim()} answers`);
          samples.rewind.push(result.ms);
          samples.rewindServing.push((await serving) - started);
          // history --json: operations newest first, each with its steps (times as ISO strings).
          const history = JSON.parse((await rewind('history', ENV, '--json', '--limit', '1')).stdout) as { kind: string; steps: { stepId: string; startedAt: string | number; finishedAt: string | number | null }[] }[];
          const time = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));
          for (const step of history[0]?.kind === 'rollback' ? history[0].steps : []) {
            if (step.finishedAt !== null) (steps[step.stepId] ??= []).push(time(step.finishedAt) - time(step.startedAt));
          }
        };
        const timeHand = async () => samples.hand.push(await hand(old.tag, '1.0.0'));
        // Alternate which goes first, so neither always runs on a machine the other just warmed.
        if (i % 2 === 0) await timeRewind().then(timeHand);
        else await timeHand().then(timeRewind);
        log(`round ${i + 1}/${rounds}: rewind ${ms(samples.rewind.at(-1)!)} ms (serving at ${ms(samples.rewindServing.at(-1)!)}), hand-run ${ms(samples.hand.at(-1)!)} ms`);
      }
      const result = { rewind: stats(samples.rewind), rewindServing: stats(samples.rewindServing), hand: stats(samples.hand) };
      const ratio = Math.round((result.rewind.median / result.hand.median) * 100) / 100;
      const servingRatio = Math.round((result.rewindServing.median / result.hand.median) * 100) / 100;
      const rewindStepsMs = Object.fromEntries(Object.entries(steps).map(([id, values]) => [id, stats(values).median]));
      log(table(['method', 'n', 'median ms', 'p90 ms', 'min ms', 'max ms'], [
        ['rewind rollback (CLI), to exit', result.rewind.n, ms(result.rewind.median), ms(result.rewind.p90), ms(result.rewind.min), ms(result.rewind.max)],
        ['rewind rollback (CLI), to serving', result.rewindServing.n, ms(result.rewindServing.median), ms(result.rewindServing.p90), ms(result.rewindServing.min), ms(result.rewindServing.max)],
        ['hand-run up -d + poll', result.hand.n, ms(result.hand.median), ms(result.hand.p90), ms(result.hand.min), ms(result.hand.max)],
      ]));
      const overMs = Math.round(result.rewind.median - result.hand.median);
      log(`ratio to exit ${ratio}, to serving ${servingRatio} (goal ≤ ${COMPOSE_ROLLBACK_TARGET.ratio}), rewind +${overMs} ms to exit; rewind steps (median ms): ${JSON.stringify(rewindStepsMs)}`);
      const goal = COMPOSE_ROLLBACK_TARGET.ratio;
      scenarios.push({ scenario, samplesMs: samples, stats: result, rewindStepsMs, overMs, ratio, servingRatio, target: { ratio: goal, met: ratio <= goal, servingMet: servingRatio <= goal } });
    }
    const dockerd = engine.docker(['version', '--format', '{{.Server.Version}}']).stdout.trim();
    const compose = (await runOk(['docker-compose', 'version', '--short'])).stdout.trim();
    return { measuredAt: new Date().toISOString(), rounds, scenarios, versions: { dockerd, compose } };
  } finally {
    forget();
    await cleanup();
  }
}

/** Polls the app on `port` every 50 ms until it answers `version`; resolves with the time it did (performance.now()). `stop` ends it (rejecting). */
async function pollVersion(port: number, version: string, started: number, who: string, stop?: AbortSignal): Promise<number> {
  for (;;) {
    if (stop?.aborted) throw new Error(`${who}: stopped polling for ${version}`);
    const answer = await fetch(`http://127.0.0.1:${port}/version`).then(async (r) => (r.ok ? (await r.text()).trim() : null), () => null);
    if (answer === version) return performance.now();
    if (performance.now() - started > 120_000) throw new Error(`${who}: ${version} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 5);
  composeBench({ rounds }).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`), (error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = 1;
  });
}

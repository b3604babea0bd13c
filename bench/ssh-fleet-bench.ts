import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SshConnection } from '../src/adapters/targets/ssh-fleet/ssh-connection.js';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import { answeringVersion } from '../test/support/app-releases.js';
import { SshFleet } from '../test/support/ssh-fleet.js';
import { CLI_MAIN, ms, runOk, stats, table, timed, type Stats } from './bench-util.js';

// Rollback of a fleet of 5 hosts (real OpenSSH sshd processes on loopback, the sample app run by the
// command runtime on each) to the previous release: rewind's ssh-fleet target (activate of the LKG,
// one host at a time, each health-checked before the next), against the same job run by hand: per
// host, one `ssh host 'cd root && ln -sfn releases/V current.tmp && mv -T current.tmp current &&
// <restart>'`, then a poll of the host's /health until it serves V, host after host. Then the same
// rollback through the CLI (`rewind rollback`, a fresh process each time), end to end.
//   npm run bench -- --only fleet

const HOSTS = 5;
const GOOD = '1.0.0';
const NEXT = '1.1.0';

const CLI_METHOD = 'rewind rollback (CLI: config, ledger, lock, journal, then the same activate), to exit';
type Method = 'rewind (ssh-fleet activate of the LKG)' | 'hand-run (ssh ln -sfn && mv -T && restart, poll /health), serial' | typeof CLI_METHOD;

export interface FleetBenchResult {
  measuredAt: string;
  hosts: number;
  rounds: number;
  samplesMs: Record<Method, number[]>;
  stats: Record<Method, Stats>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitVersion(port: number, version: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await answeringVersion(port)) !== version) {
    if (Date.now() > deadline) throw new Error(`port ${port} never served ${version}`);
    await sleep(20);
  }
}

/**
 * `rewind rollback` of the same fleet through the CLI, a fresh process per round (what an operator
 * runs): config, ledger, lock, plan and journal around the activate timed above. Its own releases
 * (2.0.0, then 2.1.<round>, sample artifacts registered and deployed untimed) and its own SQLite
 * ledger; run after the interleaved rounds, one warm-up round first.
 */
async function cliRounds(fleet: SshFleet, rounds: number): Promise<number[]> {
  const config = join(fleet.dir, 'bench-rewind.yaml');
  const env = 'production';
  // JSON is YAML: the config an operator would write, with the fleet target.
  await writeFile(config, JSON.stringify({ version: 1, ledger: join(fleet.dir, 'bench-rewind.db'), log: { file: join(fleet.dir, 'bench-rewind-events.log') }, environments: { [env]: { target: fleet.rawTarget } } }, null, 2));
  const rewind = (...args: string[]) => runOk([process.execPath, CLI_MAIN, ...args, '--config', config], { timeoutMs: 300_000 });
  const release = async (version: string) => {
    await rewind('release', 'register', env, version, '--artifact', await buildSampleArtifact(join(fleet.dir, 'bench-artifacts'), { version }), '--ci', 'passed');
    await rewind('deploy', env, version);
  };
  // A fresh start for the ledger: no app running and no `current` on any host (rewind refuses a
  // first deploy onto a link its ledger knows nothing of).
  const stopped = await fleet.target.stop();
  if (stopped.status !== 'succeeded') throw new Error(stopped.message);
  await fleet.target.close();
  for (const host of fleet.hosts) await rm(join(host.root, 'current'), { force: true });
  await release('2.0.0');
  const samples: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    await release(`2.1.${round}`);
    const took = (await rewind('rollback', env, '--yes')).ms;
    for (const host of fleet.hosts) await waitVersion(host.appPort, '2.0.0');
    if (round > 0) samples.push(took);
  }
  return samples;
}

export async function fleetBench(rounds = 5): Promise<FleetBenchResult> {
  const fleet = await SshFleet.start({ hosts: HOSTS, batch: 1 });
  try {
    for (const version of [GOOD, NEXT]) {
      const outcome = await fleet.target.prepare(await fleet.releases.artifact(version));
      if (outcome.status !== 'succeeded') throw new Error(outcome.message);
    }
    const toNext = async () => {
      const outcome = await fleet.target.activate(NEXT);
      if (outcome.status !== 'succeeded') throw new Error(outcome.message);
    };
    const executor = new ProcessExecutor();
    const runtime = fleet.config.runtime as { reload: string[] };
    // The hand-run: a fresh connection per host, as a person or a script without ControlMaster does.
    const byHand = async () => {
      for (const [i, host] of fleet.hosts.entries()) {
        const connection = new SshConnection(
          { name: host.name, address: '127.0.0.1', port: host.sshd.port, user: 'root', root: host.root },
          fleet.config.ssh!,
          'none',
          executor,
        );
        const current = join(host.root, 'current');
        const restart = runtime.reload.map((arg) => arg.replace('{current_dir}', current));
        const argv = ['sh', '-c', 'cd "$1" && ln -sfn "releases/$2" current.tmp && mv -T current.tmp current && shift 2 && exec "$@"', 'sh', host.root, GOOD, ...restart];
        const result = await executor.run({ argv: connection.commandArgv(argv), timeoutMs: 60_000 });
        if (result.exitCode !== 0) throw new Error(`host ${i}: ${result.stderr}`);
        await waitVersion(host.appPort, GOOD);
      }
    };
    const withRewind = async () => {
      const outcome = await fleet.target.activate(GOOD);
      if (outcome.status !== 'succeeded') throw new Error(outcome.message);
      // A fresh target per round: the connections are part of what is timed.
      await fleet.target.close();
    };
    const methods: [Method, () => Promise<void>][] = [
      ['rewind (ssh-fleet activate of the LKG)', withRewind],
      ['hand-run (ssh ln -sfn && mv -T && restart, poll /health), serial', byHand],
    ];
    const samplesMs = Object.fromEntries(methods.map(([name]) => [name, [] as number[]])) as Record<Method, number[]>;
    // One warm-up round, then `rounds` rounds, the order alternating.
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? methods : [...methods].reverse();
      for (const [name, fn] of order) {
        await toNext();
        await fleet.target.close();
        const { ms: took } = await timed(fn);
        if (round > 0) samplesMs[name].push(took);
        for (const host of fleet.hosts) await waitVersion(host.appPort, GOOD);
      }
    }
    samplesMs[CLI_METHOD] = await cliRounds(fleet, rounds);
    const result: FleetBenchResult = {
      measuredAt: new Date().toISOString(),
      hosts: HOSTS,
      rounds,
      samplesMs,
      stats: Object.fromEntries(Object.entries(samplesMs).map(([name, samples]) => [name, stats(samples)])) as Record<Method, Stats>,
    };
    const hand = result.stats['hand-run (ssh ln -sfn && mv -T && restart, poll /health), serial'].median;
    process.stdout.write(
      `\n## SSH fleet rollback (${HOSTS} hosts)\n\n${table(
        ['method', 'median ms', 'min ms', 'max ms', '× hand-run'],
        Object.entries(result.stats).map(([name, s]) => [name, ms(s.median), ms(s.min), ms(s.max), (s.median / hand).toFixed(2)]),
      )}\n`,
    );
    return result;
  } finally {
    await fleet.cleanup();
  }
}

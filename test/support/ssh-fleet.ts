import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdapters } from '../../src/adapters/registry.js';
import { releasesTargetSchema, type ReleasesTargetConfig } from '../../src/adapters/targets/releases/releases-config.js';
import type { SshFleetTarget } from '../../src/adapters/targets/ssh-fleet/ssh-fleet-target.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { Executor } from '../../src/ports/executor.js';
import { packageRoot } from '../../src/util/package-root.js';
import { AppReleases, answeringVersion } from './app-releases.js';
import { killPm2Daemon, PM2_BIN } from './pm2-cli-homes.js';
import { clientKey, TestSshd } from './sshd.js';

// From the package root, so the benchmarks (compiled into dist-bench/) find it too.
const APP_CTL = join(packageRoot(), 'test', 'fixtures', 'app-ctl.mjs');

/** One test host: its sshd, its deploy root (all hosts are this machine), the port its app listens on. */
export interface FleetTestHost {
  name: string;
  sshd: TestSshd;
  root: string;
  appPort: number;
  /** The host's PM2_HOME (pm2 runtime). */
  pm2Home: string;
}

export interface FleetOptions {
  hosts: number;
  batch?: number | string;
  /** known_hosts content instead of the hosts' real keys (a mismatch test). */
  knownHosts?: (hosts: FleetTestHost[]) => string;
  /** A host whose port has nothing listening (an unreachable host), appended last. */
  unreachable?: boolean;
  /** ssh.hostKeyPolicy (default strict). */
  hostKeyPolicy?: 'strict' | 'accept-new';
  /** The health URL of host `i` (default: its app's /health). */
  healthUrl?: (host: FleetTestHost, index: number) => string;
  /**
   * pm2: the real `pm2` command line runs the app on each host (cluster mode, app `shop`), each
   * host with a PM2_HOME of its own and its app's PORT in its login environment (sshd SetEnv), as
   * separate machines would have. Default: the command runtime (app-ctl.mjs).
   */
  runtime?: 'command' | 'pm2';
}

/**
 * A fleet of real sshd hosts on loopback, each with its own host key and deploy root, and the
 * ssh-fleet target built from a `type: releases` config with `hosts:` through the registry (the
 * path an operator's rewind.yaml takes). The runtime is the command runtime, run on each host over
 * ssh: test/fixtures/app-ctl.mjs starts and stops the sample app, on the port written in
 * <root>/port (hosts share one runtime config, as in a real fleet; only the port differs here).
 * With `runtime: 'pm2'` it is the real `pm2` command line on each host instead (FleetOptions.runtime).
 */
export class SshFleet {
  private constructor(
    readonly dir: string,
    readonly hosts: FleetTestHost[],
    readonly config: ReleasesTargetConfig,
    /** The target's config as written in a rewind.yaml (before the schema's defaults), for tests that drive the CLI. */
    readonly rawTarget: Record<string, unknown>,
    readonly target: SshFleetTarget,
    readonly releases: AppReleases,
    /** Every argv the target ran (ssh, scp), in order: what a test counts round trips with. */
    readonly ran: string[][],
  ) {}

  static async start(options: FleetOptions): Promise<SshFleet> {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-'));
    const key = await clientKey(join(dir, 'client'));
    const hosts: FleetTestHost[] = [];
    try {
      for (let i = 0; i < options.hosts; i++) {
        const appPort = await freePort();
        // Short: PM2's sockets in it must fit in 107 bytes.
        const pm2Home = join(dir, `p${i}`);
        const sshd = await TestSshd.start(key.publicKey, options.runtime === 'pm2' ? { PM2_HOME: pm2Home, PORT: String(appPort) } : {});
        const root = join(dir, `h${i}`, 'srv');
        await mkdir(root, { recursive: true });
        await writeFile(join(root, 'port'), String(appPort));
        hosts.push({ name: `web${i + 1}`, sshd, root, appPort, pm2Home });
      }
    } catch (error) {
      for (const host of hosts) await host.sshd.stop();
      throw error;
    }
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, options.knownHosts ? options.knownHosts(hosts) : hosts.map((h) => h.sshd.knownHostsLine).join('\n') + '\n');
    const ctl = (action: string) => ['sh', '-c', 'd=$(dirname "$3"); exec "$0" "$1" "$2" "$d/app.pid" "$3" "$(cat "$d/port")"', process.execPath, APP_CTL, action, '{current_dir}'];
    const hostEntries: Record<string, unknown>[] = hosts.map((h, i) => ({
      host: '127.0.0.1',
      port: h.sshd.port,
      name: h.name,
      path: h.root,
      healthUrl: options.healthUrl ? options.healthUrl(h, i) : `http://127.0.0.1:${h.appPort}/health`,
    }));
    if (options.unreachable) hostEntries.push({ host: '127.0.0.1', port: await freePort(), name: 'down1', path: join(dir, 'down1') });
    const rawTarget = {
      type: 'releases',
      path: '/srv/app',
      runtime:
        options.runtime === 'pm2'
          ? { type: 'pm2', name: 'shop', bin: PM2_BIN, execMode: 'cluster', instances: 1, env: { DRAIN_MS: '0' }, killTimeoutMs: 2000 }
          : { type: 'command', start: ctl('start'), reload: ctl('reload'), stop: ctl('stop'), status: ctl('status'), timeoutMs: 20_000 },
      hosts: hostEntries,
      ssh: { knownHosts, identityFile: key.identity, user: 'root', connectTimeoutSec: 5, ...(options.hostKeyPolicy ? { hostKeyPolicy: options.hostKeyPolicy } : {}) },
      rollout: { batch: options.batch ?? 1, healthTimeoutMs: 5000 },
    };
    const config = releasesTargetSchema.parse(rawTarget);
    const adapters = await loadAdapters(['target', 'runtime']);
    const ran: string[][] = [];
    const processes = new ProcessExecutor();
    const executor: Executor = { run: (command) => (ran.push([...command.argv]), processes.run(command)) };
    const target = adapters.createTarget({ target: config }, executor) as SshFleetTarget;
    return new SshFleet(dir, hosts, config, rawTarget, target, new AppReleases(join(dir, 'build')), ran);
  }

  /** What each host's app answers (null: nothing), asked over HTTP, in host order. */
  async perHost(): Promise<(string | null)[]> {
    return Promise.all(this.hosts.map((h) => answeringVersion(h.appPort)));
  }

  /** Where each host's `current` points, read from its files (not through the target). */
  links(): (string | null)[] {
    return this.hosts.map((h) => {
      try {
        return readlinkSync(join(h.root, 'current'));
      } catch {
        return null;
      }
    });
  }

  /** Stops every app by the PID its pidfile names (or each host's own PM2 daemon), closes the target, stops every sshd, removes the files. */
  async cleanup(): Promise<void> {
    await this.target.close().catch(() => undefined);
    for (const host of this.hosts) {
      killPm2Daemon(host.pm2Home);
      const pidfile = join(host.root, 'app.pid');
      if (existsSync(pidfile)) {
        const pid = Number(readFileSync(pidfile, 'utf8'));
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already stopped.
        }
      }
      await host.sshd.stop();
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

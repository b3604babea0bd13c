import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Executor } from '../../../ports/executor.js';
import { PM2_RUNTIME_TYPE, type Pm2RuntimeConfig } from './pm2-config.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../../ports/runtime.js';
import type { ActionDescription } from '../../../ports/target.js';
import { HostMutex } from './host-mutex.js';
import { pm2ServedDirs } from './pm2-served.js';
import { pm2HomeTooLong } from './pm2-socket-paths.js';
import { createPm2Client, loadPm2, pm2Call, type Pm2Api, type Pm2ProcessDescription } from './pm2-loader.js';
import { clearReloadLock, HOLDER_FILE, HolderFile, readReloadLock, realPathOr, type HolderRecord } from './pm2-daemon-files.js';

/** PM2 states a process passes through during a start, reload or stop. */
const TRANSITIONAL = new Set(['launching', 'stopping']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What taking the shared daemon involved, for the step's outcome. */
interface DaemonAccess {
  note: string;
  detail: Record<string, unknown>;
  waitedForReloadLock: boolean;
}

/**
 * Runs the app under PM2 through its programmatic API. The app is started from the `current`
 * symlink, so a reload after the symlink flips boots the new release; in cluster mode PM2 starts the
 * new workers before stopping the old ones, which is what makes the reload zero-downtime.
 */
export class Pm2Runtime implements Runtime {
  readonly type = PM2_RUNTIME_TYPE;
  readonly supportsZeroDowntimeReload: boolean;
  private client: Pm2Api | undefined;

  constructor(
    private readonly config: Pm2RuntimeConfig,
    private readonly executor: Executor,
  ) {
    this.supportsZeroDowntimeReload = config.execMode === 'cluster';
  }

  /** The PM2 app declaration, as plain data. */
  appSpec(context: RuntimeContext): Record<string, unknown> {
    return {
      name: this.config.name,
      script: join(context.currentDir, this.config.script),
      cwd: context.currentDir,
      exec_mode: this.config.execMode,
      instances: this.config.instances,
      env: this.config.env,
      listen_timeout: this.config.listenTimeoutMs,
      kill_timeout: this.config.killTimeoutMs,
      autorestart: true,
      // Crash loops of a bad release should not hide behind endless restarts while health is judged.
      max_restarts: 10,
      min_uptime: 1000,
    };
  }

  describeActivate(context: RuntimeContext): ActionDescription {
    const home = this.config.pm2Home ? ` (PM2_HOME=${this.config.pm2Home})` : '';
    return {
      summary: `pm2 ${this.supportsZeroDowntimeReload ? 'reload (zero-downtime, cluster)' : 'restart (fork)'} ${this.config.name}${home}`,
      commands: [],
      effects: [
        `pm2 API: describe ${this.config.name}`,
        `pm2 API: ${this.supportsZeroDowntimeReload ? 'reload' : 'restart'} ${this.config.name} if it runs, else start ${JSON.stringify({ ...this.appSpec(context), env: undefined })}`,
        // Names only: a plan is printed and stored in the ledger, and runtime.env holds the app's secrets.
        ...(Object.keys(this.config.env).length ? [`env ${Object.keys(this.config.env).join(', ')} from runtime.env (values read from the config when it starts)`] : []),
      ],
    };
  }

  async activate(context: RuntimeContext): Promise<Outcome> {
    return this.exclusive('activate', async (pm2, access) => {
      const list = await this.settledList(pm2);
      const started = performance.now();
      if (list.length === 0) {
        await pm2Call((cb) => pm2.start(this.appSpec(context), cb));
        const settled = await this.untilRunningFrom(context.currentDir);
        return succeeded(`started ${this.config.name} under pm2${settled.note}${access.note}`, { action: 'start', ms: Math.round(performance.now() - started), ...settled.detail, ...access.detail });
      }
      const online = list.some((p) => p.pm2_env?.status === 'online');
      const action = online && this.supportsZeroDowntimeReload ? 'reload' : 'restart';
      try {
        if (action === 'reload') await this.reloadWhenFree(pm2, access);
        else await pm2Call((cb) => pm2.restart(this.config.name, cb));
      } catch (error) {
        return failed(`pm2 ${action} ${this.config.name} failed: ${(error as Error).message}${access.note}`, { action, ...access.detail });
      }
      const settled = await this.untilRunningFrom(context.currentDir);
      return succeeded(`pm2 ${action} ${this.config.name}${settled.note}${access.note}`, { action, ms: Math.round(performance.now() - started), ...settled.detail, ...access.detail });
    });
  }

  /**
   * PM2 refuses a reload in two places: its client, while `PM2_HOME/reload.lock` holds a timestamp
   * younger than 30 s (the client writes it, so a client that died mid-reload leaves it behind),
   * and its daemon, while the previous reload of a process still has the old worker parked. The
   * lock a dead rewind left was cleared when the daemon was taken over (see exclusive()); anything
   * else is someone's reload in flight: retried with backoff, bounded by busyTimeoutMs.
   */
  private async reloadWhenFree(pm2: Pm2Api, access: DaemonAccess): Promise<void> {
    const deadline = Date.now() + this.config.busyTimeoutMs;
    let delay = 100;
    for (;;) {
      // Noted before PM2's client writes its lock: whoever takes the daemon over after a crash
      // here knows that a lock written from now on is this reload's, and clears it.
      this.holder.record({ reloadStartedAt: Date.now() });
      try {
        await pm2Call((cb) => pm2.reload(this.config.name, cb));
        return;
      } catch (error) {
        if (!/reload (already )?in progress/i.test((error as Error).message) || Date.now() > deadline) throw error;
        access.waitedForReloadLock = true;
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /**
   * PM2 calls a start or a restart done once it has forked the processes, and a cluster worker is
   * forked in the daemon's own directory: PM2's container changes into the app's `cwd` (the
   * `current` link, resolved then) only right before it loads the app. Until every process has
   * got there, the release does not run yet, and what serves cannot be told from what does not
   * (a worker still in the daemon's directory looks like one running from outside the releases).
   * So activation ends when every process of the app runs from the directory the link names, or,
   * for a release that never gets there (it crashes at boot), after listenTimeoutMs, saying so:
   * the health check then judges it.
   */
  private async untilRunningFrom(currentDir: string): Promise<{ note: string; detail: Record<string, unknown> }> {
    const release = realPathOr(currentDir);
    const deadline = Date.now() + this.config.listenTimeoutMs;
    for (;;) {
      const dirs = pm2ServedDirs(this.pm2Home, this.config.name);
      if (dirs === null || (dirs.length > 0 && dirs.every((dir) => dir === release))) return { note: '', detail: {} };
      if (Date.now() > deadline) {
        const elsewhere = dirs.filter((dir) => dir !== release).length;
        const note = `; after ${this.config.listenTimeoutMs} ms ${dirs.length === 0 ? 'no process runs' : `${elsewhere} of ${dirs.length} processes do not run from ${release}`}`;
        return { note, detail: { unsettled: { processes: dirs.length, elsewhere } } };
      }
      await sleep(25);
    }
  }

  /**
   * The app's processes once none is half-way (launching, stopping): a reload the daemon is still
   * carrying out for a client that died finishes before another starts. Bounded: a process stuck
   * in such a state does not block the activation for ever.
   */
  private async settledList(pm2: Pm2Api): Promise<Pm2ProcessDescription[]> {
    const deadline = Date.now() + this.config.busyTimeoutMs;
    for (;;) {
      const list = (await pm2Call<Pm2ProcessDescription[]>((cb) => pm2.describe(this.config.name, cb))) ?? [];
      // A worker parked under `_old_<id>` is the outgoing half of a reload the daemon is still doing.
      const moving = list.some((p) => TRANSITIONAL.has(p.pm2_env?.status ?? '') || typeof p.pm_id !== 'number');
      if (!moving || Date.now() > deadline) return list.filter((p) => typeof p.pm_id === 'number');
      await sleep(200);
    }
  }

  /**
   * Runs `work` while holding the PM2 daemon for this PM2_HOME. One daemon serves every app and
   * environment that shares the PM2_HOME, and PM2's reload lock covers the whole daemon, so the
   * per-environment lock is not enough: rewind processes take turns here, and one that has to wait
   * says so in the step's outcome. A holder that died mid-way is recognised by the holder file it
   * left, and the PM2 reload lock it left (if any) is cleared.
   */
  private async exclusive(action: string, work: (pm2: Pm2Api, access: DaemonAccess) => Promise<Outcome>): Promise<Outcome> {
    const tooLong = pm2HomeTooLong(this.pm2Home);
    if (tooLong) return { ...failed(tooLong.message, tooLong.details, tooLong.code), unchanged: true };
    // PM2 creates its home when its daemon first starts; the holder file may be needed before that.
    mkdirSync(this.pm2Home, { recursive: true });
    const mutex = new HostMutex(realPathOr(this.pm2Home), this.pm2Home);
    let waitedFor: HolderRecord | null = null;
    let waitedMs: number;
    try {
      waitedMs = await mutex.acquire({ timeoutMs: this.config.busyTimeoutMs, onWait: () => (waitedFor = this.holder.read()) });
    } catch (error) {
      const busy = this.holder.read();
      const who = busy ? `${busy.app} (${busy.action}) by pid ${busy.pid}` : 'another rewind process';
      const outcome = failed(`the PM2 daemon (PM2_HOME=${this.pm2Home}) stayed busy: ${who} — ${(error as Error).message}`, { busy }, 'REWIND_E_RUNTIME_BUSY');
      return { ...outcome, unchanged: true };
    }
    try {
      const access: DaemonAccess = { note: '', detail: {}, waitedForReloadLock: false };
      const left = this.holder.read();
      if (left) {
        // The mutex is ours, so whoever wrote this holder file died holding it; a reload lock
        // written since its reload started is that reload's (PM2 writes Date.now() in it).
        const lock = Number(readReloadLock(this.pm2Home));
        const cleared = left.reloadStartedAt !== undefined && lock > 0 && lock >= left.reloadStartedAt;
        if (cleared) clearReloadLock(this.pm2Home);
        access.detail.tookOverFrom = { pid: left.pid, app: left.app, action: left.action, clearedReloadLock: cleared };
      }
      this.holder.write({ pid: process.pid, app: this.config.name, action, since: Date.now() });
      if (waitedMs > 0) {
        const who = waitedFor as HolderRecord | null;
        access.detail.waitedMs = waitedMs;
        access.note = `; waited ${(waitedMs / 1000).toFixed(1)} s for the shared PM2 daemon${who ? ` (${who.app}: ${who.action} by pid ${who.pid})` : ''}`;
      }
      const pm2 = await this.connect();
      const outcome = await work(pm2, access);
      if (access.waitedForReloadLock) outcome.detail = { ...outcome.detail, waitedForReloadLock: true };
      return outcome;
    } finally {
      this.holder.clear();
      await mutex.release();
    }
  }

  async isRunning(): Promise<boolean> {
    // No daemon means nothing runs; do not start one just to ask.
    if (this.daemonPid() === null) return false;
    const pm2 = await this.connect();
    const list = (await pm2Call<Pm2ProcessDescription[]>((cb) => pm2.describe(this.config.name, cb))) ?? [];
    return list.some((p) => p.pm2_env?.status === 'online');
  }

  async servedDirs(): Promise<string[] | null> {
    return pm2ServedDirs(this.pm2Home, this.config.name);
  }

  async stop(): Promise<Outcome> {
    return this.exclusive('stop', async (pm2, access) => {
      const list = await this.settledList(pm2);
      if (list.length === 0) return succeeded(`${this.config.name} is not running under pm2${access.note}`, access.detail);
      await pm2Call((cb) => pm2.stop(this.config.name, cb));
      return succeeded(`stopped ${this.config.name} under pm2${access.note}`, access.detail);
    });
  }

  /** Removes the app from PM2 and stops the daemon; used by the demo and tests to leave nothing behind. */
  async destroy(): Promise<void> {
    if (this.daemonPid() === null) return;
    const pm2 = await this.connect();
    await pm2Call((cb) => pm2.delete(this.config.name, cb)).catch(() => undefined);
    await this.close();
    // The API's killDaemon leaves a signal listener and a handle behind; PM2's CLI does it cleanly.
    await this.executor.run({ argv: [process.execPath, loadPm2().bin, 'kill'], env: { PM2_HOME: this.pm2Home }, timeoutMs: 30_000 });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await new Promise<void>((resolve) => client.disconnect(() => resolve()));
  }

  private get holder(): HolderFile {
    return new HolderFile(join(this.pm2Home, HOLDER_FILE));
  }

  get pm2Home(): string {
    return this.config.pm2Home ?? process.env.PM2_HOME ?? join(homedir(), '.pm2');
  }

  /** The pid of a live PM2 daemon for this PM2_HOME, or null. */
  daemonPid(): number | null {
    const file = join(this.pm2Home, 'pm2.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8'));
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /**
   * PM2's API client, when it has to start the daemon itself, leaves a pipe to it open (so this
   * process cannot exit) and prints to our stdout (which would corrupt --json). So the daemon is
   * started by PM2's own CLI through exec/, and the API client only ever connects to it.
   */
  private async ensureDaemon(): Promise<void> {
    if (this.daemonPid() !== null) return;
    const result = await this.executor.run({ argv: [process.execPath, loadPm2().bin, 'ping'], env: { PM2_HOME: this.pm2Home }, timeoutMs: 30_000 });
    if (result.exitCode !== 0) throw new Error(`could not start the PM2 daemon (PM2_HOME=${this.pm2Home}): ${result.stderr.trim() || result.stdout.trim()}`);
  }

  private async connect(): Promise<Pm2Api> {
    if (this.client) return this.client;
    const tooLong = pm2HomeTooLong(this.pm2Home);
    if (tooLong) throw tooLong;
    await this.ensureDaemon();
    const client = createPm2Client(this.pm2Home);
    await pm2Call((cb) => client.connect(cb));
    this.client = client;
    return client;
  }
}

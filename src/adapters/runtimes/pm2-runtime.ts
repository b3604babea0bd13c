import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Executor } from '../../ports/executor.js';
import type { Pm2RuntimeConfig } from '../../config/config-schema.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../ports/runtime.js';
import type { ActionDescription } from '../../ports/target.js';
import { createPm2Client, loadPm2, pm2Call, type Pm2Api, type Pm2ProcessDescription } from './pm2-loader.js';

export const PM2_RUNTIME_TYPE = 'pm2';

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
    const pm2 = await this.connect();
    const list = (await pm2Call<Pm2ProcessDescription[]>((cb) => pm2.describe(this.config.name, cb))) ?? [];
    const started = performance.now();
    if (list.length === 0) {
      await pm2Call((cb) => pm2.start(this.appSpec(context), cb));
      return succeeded(`started ${this.config.name} under pm2`, { action: 'start', ms: Math.round(performance.now() - started) });
    }
    const online = list.some((p) => p.pm2_env?.status === 'online');
    const action = online && this.supportsZeroDowntimeReload ? 'reload' : 'restart';
    try {
      await pm2Call((cb) => (action === 'reload' ? pm2.reload(this.config.name, cb) : pm2.restart(this.config.name, cb)));
    } catch (error) {
      return failed(`pm2 ${action} ${this.config.name} failed: ${(error as Error).message}`, { action });
    }
    return succeeded(`pm2 ${action} ${this.config.name}`, { action, ms: Math.round(performance.now() - started) });
  }

  async isRunning(): Promise<boolean> {
    // No daemon means nothing runs; do not start one just to ask.
    if (this.daemonPid() === null) return false;
    const pm2 = await this.connect();
    const list = (await pm2Call<Pm2ProcessDescription[]>((cb) => pm2.describe(this.config.name, cb))) ?? [];
    return list.some((p) => p.pm2_env?.status === 'online');
  }

  async stop(): Promise<Outcome> {
    const pm2 = await this.connect();
    const list = await pm2Call<Pm2ProcessDescription[]>((cb) => pm2.describe(this.config.name, cb));
    if (!list || list.length === 0) return succeeded(`${this.config.name} is not running under pm2`);
    await pm2Call((cb) => pm2.stop(this.config.name, cb));
    return succeeded(`stopped ${this.config.name} under pm2`);
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
    await this.ensureDaemon();
    const client = createPm2Client(this.pm2Home);
    await pm2Call((cb) => client.connect(cb));
    this.client = client;
    return client;
  }
}

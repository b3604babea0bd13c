import type { Executor } from '../../../ports/executor.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../../ports/runtime.js';
import type { ActionDescription } from '../../../ports/target.js';
import { describeCommand } from '../../../exec/process-executor.js';
import { PM2_RUNTIME_TYPE, type Pm2RuntimeConfig } from './pm2-config.js';
import { appDeclaration, DEFAULT_PM2_BIN, ecosystemPath, parseProbe, plainPm2Output, pm2Spec, probeArgv, writeEcosystemArgv, type Pm2HostView } from './pm2-cli-commands.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long one `pm2` command may take before it counts as hung. */
const PM2_COMMAND_MS = 60_000;

/**
 * PM2 on another machine (a fleet's host), driven through its command line: every command is an
 * argv array run by the Executor the fleet hands it (ssh to the host). The app is declared in an
 * ecosystem file next to `current` (the same declaration the local runtime hands PM2's API: script
 * and cwd through the link, so a reload after the link flips boots the new release), and started
 * or reloaded with `pm2 startOrReload` (cluster: zero-downtime) or `pm2 startOrRestart` (fork).
 * What runs is read back from /proc on the host (the daemon's children: their app and working
 * directory), without starting a Node process there; `pm2 jlist` where /proc is missing.
 * There is no daemon mutex across rewind processes here (the local runtime's lives in PM2_HOME's
 * files on this machine): rewind's per-environment lock serialises one environment, and a reload
 * PM2 refuses while another is in flight is retried up to busyTimeoutMs.
 */
export class Pm2CliRuntime implements Runtime {
  readonly type = PM2_RUNTIME_TYPE;
  readonly supportsZeroDowntimeReload: boolean;

  constructor(
    private readonly config: Pm2RuntimeConfig,
    private readonly executor: Executor,
  ) {
    this.supportsZeroDowntimeReload = config.execMode === 'cluster';
  }

  get bin(): string {
    return this.config.bin ?? DEFAULT_PM2_BIN;
  }

  private get verb(): 'startOrReload' | 'startOrRestart' {
    return this.supportsZeroDowntimeReload ? 'startOrReload' : 'startOrRestart';
  }

  /** The longest a start or reload may take: every worker's listen timeout and the old ones' grace. */
  private get activateTimeoutMs(): number {
    return PM2_COMMAND_MS + (this.config.listenTimeoutMs + this.config.killTimeoutMs) * this.config.instances;
  }

  describeActivate(context: RuntimeContext): ActionDescription {
    const file = ecosystemPath(context, this.config.name);
    // Names only: a plan is printed and stored in the ledger, and runtime.env holds the app's settings.
    const shown = { apps: [{ ...appDeclaration(this.config, context), env: Object.fromEntries(Object.keys(this.config.env).map((key) => [key, '<runtime.env>'])) }] };
    const home = this.config.pm2Home ? ` (PM2_HOME=${this.config.pm2Home})` : '';
    return {
      summary: `pm2 ${this.verb} ${this.config.name} through the pm2 command line${home}`,
      commands: [
        pm2Spec(this.config, writeEcosystemArgv(file, JSON.stringify(shown)), PM2_COMMAND_MS),
        pm2Spec(this.config, [this.bin, this.verb, file, '--update-env'], this.activateTimeoutMs),
      ],
      effects: [
        `write ${file} (mode 600): the app declaration${Object.keys(this.config.env).length ? `, with env ${Object.keys(this.config.env).join(', ')} from runtime.env` : ''}`,
        `${this.supportsZeroDowntimeReload ? 'cluster: start the app if PM2 has none, else reload it worker by worker' : 'fork: start the app if PM2 has none, else restart it'}`,
        `wait until every process of ${this.config.name} runs from the release current names (pm2 jlist, /proc), at most ${this.config.listenTimeoutMs} ms`,
      ],
    };
  }

  async activate(context: RuntimeContext): Promise<Outcome> {
    const started = performance.now();
    let before: Pm2HostView;
    try {
      before = await this.probe();
    } catch (error) {
      return { ...failed(`reading ${this.config.name} from pm2 failed: ${(error as Error).message}`, { action: 'probe' }), unchanged: true };
    }
    // What the outcome calls it: PM2's startOrReload/startOrRestart decides by the app it holds.
    const action = !this.running(before) ? 'start' : this.supportsZeroDowntimeReload ? 'reload' : 'restart';
    const file = ecosystemPath(context, this.config.name);
    const declaration = JSON.stringify({ apps: [appDeclaration(this.config, context)] });
    const written = await this.executor.run(pm2Spec(this.config, writeEcosystemArgv(file, declaration), PM2_COMMAND_MS));
    if (written.exitCode !== 0) return { ...failed(`writing ${file} exited ${written.exitCode ?? written.signal}: ${written.stderr.trim().slice(-300)}`, { action }), unchanged: true };

    const command = pm2Spec(this.config, [this.bin, this.verb, file, '--update-env'], this.activateTimeoutMs);
    const detail: Record<string, unknown> = { action, argv: describeCommand(command) };
    const deadline = Date.now() + this.config.busyTimeoutMs;
    for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
      const result = await this.executor.run(command);
      if (result.exitCode === 0) break;
      const said = plainPm2Output(`${result.stderr}\n${result.stdout}`);
      // PM2's client refuses a reload while another one's lock is younger than 30 s: someone's reload in flight.
      if (/reload (already )?in progress/i.test(said) && Date.now() < deadline) {
        detail.waitedForReloadLock = true;
        await sleep(delay);
        continue;
      }
      const why = result.timedOut ? `timed out after ${command.timeoutMs} ms` : `exited ${result.exitCode ?? result.signal}`;
      return failed(`pm2 ${this.verb} ${this.config.name} ${why}: ${said.slice(-500)}`, { ...detail, exitCode: result.exitCode });
    }
    const settled = await this.untilRunningFrom(context.currentDir);
    return succeeded(`pm2 ${action} ${this.config.name}${settled.note}`, { ...detail, ms: Math.round(performance.now() - started), ...settled.detail });
  }

  /**
   * PM2 calls a start or reload done once it has forked the processes; a cluster worker changes
   * into the app's `cwd` (the link, resolved then) only right before it loads the app. Activation
   * ends when every process of the app runs from the directory `current` names, or, for a release
   * that never gets there (it crashes at boot), after listenTimeoutMs, saying so: health judges it.
   */
  private async untilRunningFrom(currentDir: string): Promise<{ note: string; detail: Record<string, unknown> }> {
    const deadline = Date.now() + this.config.listenTimeoutMs;
    for (;;) {
      let view: Pm2HostView | null = null;
      try {
        view = await this.probe(currentDir);
      } catch {
        // Asked again until the deadline: one failed `pm2 jlist` does not judge the release.
      }
      if (view && !view.procfs) return { note: '', detail: {} };
      const live = view?.live ?? [];
      const release = view?.current ?? null;
      if (release && live.length > 0 && live.every((p) => p.dir === release)) return { note: '', detail: {} };
      if (Date.now() > deadline) {
        const elsewhere = live.filter((p) => p.dir !== release).length;
        const note = `; after ${this.config.listenTimeoutMs} ms ${live.length === 0 ? 'no process runs' : `${elsewhere} of ${live.length} processes do not run from ${release}`}`;
        return { note, detail: { unsettled: { processes: live.length, elsewhere } } };
      }
      await sleep(100);
    }
  }

  async stop(): Promise<Outcome> {
    let view: Pm2HostView;
    try {
      view = await this.probe();
    } catch (error) {
      return failed(`reading ${this.config.name} from pm2 failed: ${(error as Error).message}`, { action: 'probe' });
    }
    if (!this.running(view)) return succeeded(`${this.config.name} is not running under pm2`, { action: 'stop', running: false });
    const command = pm2Spec(this.config, [this.bin, 'stop', this.config.name], PM2_COMMAND_MS + this.config.killTimeoutMs * this.config.instances);
    const result = await this.executor.run(command);
    if (result.exitCode !== 0) return failed(`pm2 stop ${this.config.name} exited ${result.exitCode ?? result.signal}: ${plainPm2Output(`${result.stderr}\n${result.stdout}`).slice(-500)}`, { action: 'stop' });
    return succeeded(`stopped ${this.config.name} under pm2`, { action: 'stop', argv: describeCommand(command) });
  }

  async isRunning(): Promise<boolean> {
    return this.running(await this.probe());
  }

  /** A live process of the app (/proc), or, on a host without /proc, an online one in `pm2 jlist`. */
  private running(view: Pm2HostView): boolean {
    return view.procfs ? view.live.length > 0 : (view.listed ?? []).some((p) => p.name === this.config.name && p.status === 'online');
  }

  /** The real directory of each live process of the app (empty: none runs); null on a host without /proc. */
  async servedDirs(): Promise<string[] | null> {
    const view = await this.probe();
    if (!view.procfs) return null;
    return view.live.map((p) => p.dir);
  }

  /** Removes the app from PM2, and stops the daemon when it holds nothing else (tests and the demo leave nothing behind). */
  async destroy(): Promise<void> {
    const view = await this.probe(undefined, true);
    if (!view.daemon) return;
    const appNames = (view.listed ?? []).map((p) => p.name);
    if (appNames.includes(this.config.name)) await this.executor.run(pm2Spec(this.config, [this.bin, 'delete', this.config.name], PM2_COMMAND_MS));
    if (appNames.every((name) => name === this.config.name)) await this.executor.run(pm2Spec(this.config, [this.bin, 'kill'], PM2_COMMAND_MS));
  }

  async close(): Promise<void> {}

  private async probe(currentDir?: string, list = false): Promise<Pm2HostView> {
    const result = await this.executor.run(pm2Spec(this.config, probeArgv(this.bin, currentDir, list), PM2_COMMAND_MS));
    if (result.exitCode !== 0) throw new Error(`pm2 jlist exited ${result.exitCode ?? result.signal}: ${plainPm2Output(result.stderr).slice(-300)}`);
    return parseProbe(result.stdout, this.config.name);
  }
}

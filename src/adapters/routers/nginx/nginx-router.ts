import { RewindError } from '../../../errors/rewind-error.js';
import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ActionDescription } from '../../../ports/target.js';
import { nginxRouterDefinition } from './nginx-definition.js';
import { routerCapabilities } from '../router-capabilities.js';
import type { RouterBackends, TrafficRouter, TrafficRouterCapabilities, TrafficWeights } from '../../../ports/traffic-router.js';
import { describeCommand } from '../../../exec/process-executor.js';
import { readOptional, restoreFile, writeFileAtomic } from '../../../util/atomic-file.js';
import { nginxWorkers, readMasterPid } from './nginx-workers.js';
import { parseNginxUpstream, renderNginxUpstream } from './nginx-upstream-file.js';
import { hostPort, validateBackends, validateName } from '../router-backends.js';
import { formatWeights, toPercentages, validateWeights } from '../traffic-weights.js';
import { SerialQueue } from '../serial-queue.js';

export interface NginxRouterOptions {
  /** From the registry (the definition's flags over the defaults); a router built directly takes the same. */
  capabilities?: TrafficRouterCapabilities;
  backends: RouterBackends;
  /** The file rewind owns and replaces on every switch; include it inside `http {}` of nginx.conf. */
  upstreamFile: string;
  /** The upstream's name, as in `proxy_pass http://<name>;`. Default `rewind_app`. */
  upstream?: string;
  /** The nginx program. Default `nginx` from PATH. */
  binary?: string;
  /** The main config (`-c`); default nginx's compiled-in one (/etc/nginx/nginx.conf on Debian). */
  configFile?: string;
  /** The prefix (`-p`) of a non-system nginx. */
  prefix?: string;
  /** The error log nginx uses before it has read its config (`-e`, nginx ≥ 1.19.5). */
  errorLog?: string;
  /**
   * The master's pid file, as nginx.conf's `pid` says (default `/run/nginx.pid`, Debian's). Read to
   * confirm a reload took effect; without it the switch is reported unconfirmed.
   */
  pidFile?: string;
  /** Limit for each nginx command, and for the new workers to take over after a reload. Default 10 s. */
  timeoutMs?: number;
}


/**
 * Weighted upstreams in a file nginx includes. A switch is: write the file (temp + rename) →
 * `nginx -t` → `nginx -s reload` → wait until the new workers serve and every old one stopped
 * accepting. A failed `-t` or reload puts the previous file back, so the file always says what the
 * running nginx does.
 */
export class NginxRouter implements TrafficRouter {
  readonly type = 'nginx';
  readonly capabilities: TrafficRouterCapabilities;
  readonly backends: RouterBackends;
  private readonly upstream: string;
  private readonly timeoutMs: number;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly options: NginxRouterOptions,
    private readonly executor: Executor,
  ) {
    this.capabilities = options.capabilities ?? routerCapabilities(nginxRouterDefinition);
    this.backends = validateBackends(options.backends);
    this.upstream = validateName('upstream', options.upstream ?? 'rewind_app');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The upstream file for `weights`, for a first install before nginx runs (and for dry-runs). */
  render(weights: TrafficWeights): string {
    return renderNginxUpstream(this.upstream, this.backends, validateWeights(weights));
  }

  describeSetWeights(weights: TrafficWeights): ActionDescription {
    const valid = validateWeights(weights);
    const { stable, canary } = this.backends;
    return {
      summary: `nginx: ${formatWeights(valid)} for upstream ${this.upstream} (stable ${hostPort(stable)}, canary ${hostPort(canary)})`,
      commands: [this.testCommand(), this.reloadCommand()],
      effects: [
        `write ${this.options.upstreamFile} (temp file + rename): ${weightText(valid.stable)} for stable, ${weightText(valid.canary)} for canary`,
        `on a failed nginx -t or reload: put the previous ${this.options.upstreamFile} back, nothing reloads`,
        `wait until the new workers serve and the old ones stopped accepting (${this.pidFile()})`,
      ],
    };
  }

  /** nginx -t for the whole config, which includes the upstream file. */
  testCommand(): CommandSpec {
    return { argv: [...this.baseArgv(), '-t'], timeoutMs: this.timeoutMs };
  }

  reloadCommand(): CommandSpec {
    return { argv: [...this.baseArgv(), '-s', 'reload'], timeoutMs: this.timeoutMs };
  }

  async setWeights(weights: TrafficWeights): Promise<Outcome> {
    const valid = validateWeights(weights);
    return this.queue.run(() => this.apply(valid));
  }

  async currentWeights(): Promise<TrafficWeights> {
    this.queue.assertOpen();
    const text = await readOptional(this.options.upstreamFile);
    const raw = text === null ? null : parseNginxUpstream(text);
    if (raw === null) {
      throw new RewindError('REWIND_E_ROUTER_FAILED', `${this.options.upstreamFile} ${text === null ? 'does not exist' : 'is not an upstream file rewind wrote'}`, {
        file: this.options.upstreamFile,
      });
    }
    return toPercentages(raw.stable, raw.canary);
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private async apply(weights: TrafficWeights): Promise<Outcome> {
    const file = this.options.upstreamFile;
    const started = performance.now();
    let previous: string | null;
    try {
      previous = await readOptional(file);
      await writeFileAtomic(file, renderNginxUpstream(this.upstream, this.backends, weights));
    } catch (error) {
      // Not written (permissions, disk full, missing directory): nginx was not touched.
      return failed(`cannot write ${file}: ${(error as Error).message}`, { weights, file }, 'REWIND_E_ROUTER_FAILED');
    }

    const test = await this.runCommand(this.testCommand());
    const testedAt = performance.now();
    if (!ok(test)) {
      await restoreFile(file, previous);
      return this.refused(`nginx -t rejected the new upstream file; the previous one is back and nothing reloaded`, this.testCommand(), test);
    }

    const pidFile = this.pidFile();
    const master = await readMasterPid(pidFile);
    // Taken before the signal: the workers that must stop accepting for the switch to be complete.
    const before = master === null ? null : nginxWorkers(master)?.map((w) => w.pid) ?? null;
    const reload = await this.runCommand(this.reloadCommand());
    if (!ok(reload)) {
      await restoreFile(file, previous);
      return this.refused(`nginx -s reload failed; the previous upstream file is back`, this.reloadCommand(), reload);
    }
    const signalledAt = performance.now();
    const detail = { weights, file, testMs: ms(testedAt - started), reloadMs: ms(signalledAt - testedAt), takeoverMs: 0, totalMs: 0, confirmed: false as boolean };
    if (master === null || before === null) {
      detail.totalMs = ms(performance.now() - started);
      const why = master === null ? `no master pid in ${pidFile}` : 'no /proc to see its workers';
      return succeeded(`nginx reloaded with ${formatWeights(weights)} (not confirmed: ${why})`, detail);
    }
    // `nginx -s reload` only signals the master. The master starts new workers, sleeps 100 ms, then
    // tells the old ones to quit; until then old workers still take new connections with the old split.
    if (!(await this.waitForTakeover(master, before))) {
      await restoreFile(file, previous);
      return failed(
        `nginx did not switch to the new upstream file within ${this.timeoutMs} ms (the master kept its old workers: see its error log); the previous file is back`,
        { weights, file, masterPid: master },
        'REWIND_E_ROUTER_FAILED',
      );
    }
    detail.confirmed = true;
    detail.takeoverMs = ms(performance.now() - signalledAt);
    detail.totalMs = ms(performance.now() - started);
    return succeeded(`nginx serves ${formatWeights(weights)}`, detail);
  }

  private async waitForTakeover(master: number, before: number[]): Promise<boolean> {
    const deadline = performance.now() + this.timeoutMs;
    while (performance.now() < deadline) {
      const workers = nginxWorkers(master) ?? [];
      const fresh = workers.some((w) => !before.includes(w.pid) && !w.shuttingDown);
      const oldAccepting = workers.some((w) => before.includes(w.pid) && !w.shuttingDown);
      if (fresh && !oldAccepting) return true;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return false;
  }

  private async runCommand(command: CommandSpec): Promise<CommandResult> {
    try {
      return await this.executor.run(command);
    } catch (error) {
      // The program could not start (not installed, not on PATH): report it like a failed run.
      return { exitCode: null, signal: null, stdout: '', stderr: error instanceof Error ? error.message : String(error), durationMs: 0, timedOut: false };
    }
  }

  private refused(message: string, command: CommandSpec, result: CommandResult): Outcome {
    return failed(
      message,
      { command: describeCommand(command), exitCode: result.exitCode, timedOut: result.timedOut, stderr: result.stderr.trim().slice(-2000) },
      'REWIND_E_ROUTER_FAILED',
    );
  }

  private baseArgv(): string[] {
    const argv = [this.options.binary ?? 'nginx'];
    if (this.options.prefix) argv.push('-p', this.options.prefix);
    if (this.options.configFile) argv.push('-c', this.options.configFile);
    if (this.options.errorLog) argv.push('-e', this.options.errorLog);
    return argv;
  }

  private pidFile(): string {
    return this.options.pidFile ?? '/run/nginx.pid';
  }
}

export function createNginxRouter(options: NginxRouterOptions, executor: Executor): NginxRouter {
  return new NginxRouter(options, executor);
}

const ms = (value: number): number => Math.round(value * 10) / 10;

function ok(result: CommandResult): boolean {
  return result.exitCode === 0 && !result.timedOut;
}

function weightText(weight: number): string {
  return weight > 0 ? `weight=${weight}` : 'down';
}

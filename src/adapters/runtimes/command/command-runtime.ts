import { COMMAND_RUNTIME_TYPE, type CommandRuntimeConfig } from './command-config.js';
import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import type { ActivationCommands, Runtime, RuntimeContext } from '../../../ports/runtime.js';
import type { ActionDescription } from '../../../ports/target.js';
import { describeCommand } from '../../../exec/process-executor.js';
import { substituteArgv } from '../../../util/substitute-argv.js';

export { substituteArgv };

/** Runs user-given argv arrays to start, reload and stop the app: systemd, supervisord, anything. */
export class CommandRuntime implements Runtime {
  readonly type = COMMAND_RUNTIME_TYPE;
  readonly supportsZeroDowntimeReload: boolean;

  constructor(
    private readonly config: CommandRuntimeConfig,
    private readonly executor: Executor,
  ) {
    this.supportsZeroDowntimeReload = config.zeroDowntime;
  }

  activationCommands(context: RuntimeContext): ActivationCommands {
    const spec = (argv: readonly string[]): CommandSpec => ({ argv: substituteArgv(argv, context), cwd: context.currentDir, timeoutMs: this.config.timeoutMs });
    return {
      check: this.config.status ? spec(this.config.status) : undefined,
      start: spec(this.config.start),
      reload: spec(this.config.reload),
    };
  }

  describeActivate(context: RuntimeContext): ActionDescription {
    const { check, start, reload } = this.activationCommands(context);
    return {
      summary: check ? `run status; reload if running, else start` : `run reload`,
      commands: check ? [check, reload, start] : [reload],
      effects: check ? [`if \`${describeCommand(check)}\` exits 0: reload, else: start`] : [],
    };
  }

  async activate(context: RuntimeContext): Promise<Outcome> {
    const { check, start, reload } = this.activationCommands(context);
    let command = reload;
    if (check) {
      const status = await this.executor.run(check);
      if (status.exitCode !== 0) command = start;
    }
    const action = command === start ? 'start' : 'reload';
    return this.judgeActivation(command, action, await this.executor.run(command));
  }

  judgeActivation(command: CommandSpec, action: 'start' | 'reload', result: CommandResult): Outcome {
    return judged(command, action, result);
  }

  async stop(context: RuntimeContext): Promise<Outcome> {
    if (!this.config.stop) return failed('the command runtime has no `stop` argv configured');
    return this.runChecked({ argv: substituteArgv(this.config.stop, context), cwd: context.currentDir, timeoutMs: this.config.timeoutMs }, 'stop');
  }

  async close(): Promise<void> {}

  private async runChecked(command: CommandSpec, action: string): Promise<Outcome> {
    return judged(command, action, await this.executor.run(command));
  }
}

/** What one of the runtime's commands did, as an Outcome naming it. */
function judged(command: CommandSpec, action: string, result: CommandResult): Outcome {
  const detail = { action, argv: describeCommand(command), exitCode: result.exitCode, ms: Math.round(result.durationMs) };
  if (result.timedOut) return failed(`${action} timed out after ${command.timeoutMs} ms: ${describeCommand(command)}`, detail);
  if (result.exitCode !== 0) {
    return failed(`${action} exited ${result.exitCode ?? result.signal}: ${describeCommand(command)}: ${result.stderr.trim().slice(-500)}`, detail);
  }
  return succeeded(`${action}: ${describeCommand(command)}`, detail);
}

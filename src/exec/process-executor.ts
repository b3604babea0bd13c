import type { ChildProcess } from 'node:child_process';
import { spawnChild } from './spawn-child.js';
import type { Readable } from 'node:stream';
import type { CommandResult, CommandSpec, PipelineResult, StreamIo, StreamingExecutor } from '../ports/executor.js';
import { isSecretRef, type SecretResolver } from '../ports/secret-ref.js';
import { RewindError } from '../errors/rewind-error.js';
import { redactor } from '../util/redact.js';

const OUTPUT_LIMIT = 64 * 1024;

/** A command's environment with every SecretRef turned into its value, and those values (to mask in what this executor prints). */
interface ResolvedEnv {
  env: NodeJS.ProcessEnv;
  secrets: string[];
}

function resolveEnv(command: CommandSpec, resolver: SecretResolver | undefined): ResolvedEnv {
  if (!command.env) return { env: process.env, secrets: [] };
  const env: NodeJS.ProcessEnv = { ...process.env };
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(command.env)) {
    if (!isSecretRef(value)) {
      env[name] = value;
      continue;
    }
    if (!resolver) throw new RewindError('REWIND_E_INTERNAL', `${command.argv[0] ?? 'a command'} needs ${name} from ${value.secret}, and this executor has no secrets to read it from`);
    const resolved = resolver.resolve(value);
    env[name] = resolved;
    // The redactor's rule: a value under 4 characters would mask ordinary text.
    if (resolved.length >= 4) secrets.push(resolved);
  }
  return { env, secrets };
}

/**
 * Runs argv arrays without a shell. The only place in rewind that starts a child process, and the
 * only place a SecretRef in a command's `env` becomes a value (through `secrets`, built from the
 * loaded config), right before the spawn: the value is never in the command, so never in a plan.
 */
export class ProcessExecutor implements StreamingExecutor {
  constructor(private readonly secrets?: SecretResolver) {}

  run(command: CommandSpec): Promise<CommandResult> {
    const [program, ...args] = command.argv;
    if (!program) return Promise.reject(new RewindError('REWIND_E_INTERNAL', 'empty argv'));
    let resolved: ResolvedEnv;
    try {
      resolved = resolveEnv(command, this.secrets);
    } catch (error) {
      return Promise.reject(error);
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawnChild(program, args, {
        cwd: command.cwd,
        env: resolved.env,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      // Output is capped: a chatty command must not grow rewind's memory without bound.
      child.stdout!.on('data', (chunk: Buffer) => {
        if (stdout.length < OUTPUT_LIMIT) stdout += chunk.toString();
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        if (stderr.length < OUTPUT_LIMIT) stderr += chunk.toString();
      });
      const timer = command.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, command.timeoutMs)
        : undefined;
      child.on('error', (error) => {
        if (timer) clearTimeout(timer);
        const shown = { ...command, redact: [...(command.redact ?? []), ...resolved.secrets] };
        reject(new RewindError('REWIND_E_COMMAND_FAILED', `cannot run ${describeCommand(shown)}: ${maskAll(error.message, shown.redact)}`, { argv: redactArgv(shown) }));
      });
      child.on('close', (exitCode, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ exitCode, signal, stdout, stderr, durationMs: performance.now() - started, timedOut });
      });
    });
  }

  runPipeline(stages: readonly CommandSpec[], io: StreamIo = {}): Promise<PipelineResult> {
    return runPipeline(stages, io, this.secrets);
  }
}

class PipelineStage {
  stdout = '';
  stderr = '';
  result: CommandResult | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly spec: CommandSpec,
    readonly child: ChildProcess,
    captureStdout: boolean,
    started: number,
    state: { timedOut: boolean },
  ) {
    if (captureStdout) child.stdout?.on('data', (chunk: Buffer) => this.append('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.append('stderr', chunk));
    this.done = new Promise((resolve) => {
      const settle = (exitCode: number | null, signal: string | null): void => {
        if (this.result) return;
        this.result = { exitCode, signal, stdout: this.stdout, stderr: this.stderr, durationMs: performance.now() - started, timedOut: state.timedOut };
        resolve();
      };
      child.on('error', (error) => {
        // Only a failure to start settles here; a failed kill() of a live child is not an exit.
        if (child.pid === undefined) {
          this.stderr += `cannot run ${describeCommand(this.spec)}: ${error.message}`;
          settle(null, null);
        }
      });
      child.on('close', (exitCode, signal) => settle(exitCode, signal));
    });
  }

  private append(which: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this[which].length < OUTPUT_LIMIT) this[which] += chunk.toString();
  }
}

/**
 * `runPipeline` for ProcessExecutor: each stage is spawned with the previous stage's stdout as its
 * stdin (the pipe's file descriptor is handed to the child, and rewind closes its own copy so a
 * stage that stops reading makes its writer see EPIPE, as in a shell).
 */
async function runPipeline(stages: readonly CommandSpec[], io: StreamIo, secrets: SecretResolver | undefined): Promise<PipelineResult> {
  if (stages.length === 0 || stages.some((stage) => stage.argv.length === 0)) throw new RewindError('REWIND_E_INTERNAL', 'empty pipeline or argv');
  // Every reference is resolved before the first stage starts: a missing one starts nothing.
  const environments = stages.map((stage) => resolveEnv(stage, secrets));
  const started = performance.now();
  const state = { timedOut: false };
  const running: PipelineStage[] = [];
  let previous: Readable | null = null;
  stages.forEach((spec, index) => {
    const [program, ...args] = spec.argv as [string, ...string[]];
    const last = index === stages.length - 1;
    const stdin = index === 0 ? (io.stdin ? 'pipe' : 'ignore') : previous!;
    const { env, secrets: values } = environments[index]!;
    const child = spawnChild(program, args, {
      cwd: spec.cwd,
      env,
      shell: false,
      stdio: [stdin, 'pipe', 'pipe'],
    });
    // The child holds its own duplicate of the pipe now; ours would keep the writer from seeing EPIPE.
    previous?.destroy();
    previous = child.stdout;
    running.push(new PipelineStage(values.length ? { ...spec, redact: [...(spec.redact ?? []), ...values] } : spec, child, last && !io.stdout, started, state));
  });
  if (io.onStageExit) {
    const told = io.onStageExit;
    running.forEach((stage, index) => void stage.done.then(() => told(index, stage.result!)));
  }
  const killAll = (signal: NodeJS.Signals): void => {
    for (const stage of running) if (!stage.result) stage.child.kill(signal);
  };
  const timeouts = stages.map((stage) => stage.timeoutMs).filter((ms): ms is number => ms !== undefined && ms > 0);
  const timer =
    timeouts.length > 0
      ? setTimeout(() => {
          state.timedOut = true;
          killAll('SIGKILL');
        }, Math.min(...timeouts))
      : undefined;

  let consumerError: unknown;
  let stdinError: unknown;
  const consumers: Promise<void>[] = [];
  const first = running[0]!;
  const lastStage = running[running.length - 1]!;
  if (io.stdin && first.child.stdin) {
    const sink = first.child.stdin;
    // A stage that exits early makes writing its stdin fail with EPIPE; the stage's own exit says why.
    sink.on('error', () => undefined);
    consumers.push(io.stdin(sink).catch((error: unknown) => {
      stdinError = error;
      sink.destroy();
    }));
  }
  if (io.stdout && lastStage.child.stdout) {
    consumers.push(io.stdout(lastStage.child.stdout).catch((error: unknown) => {
      // The consumer failed (disk full, …): nothing downstream will read, so stop every stage.
      consumerError = error;
      killAll('SIGTERM');
    }));
  }
  await Promise.all(running.map((stage) => stage.done));
  await Promise.all(consumers);
  if (timer) clearTimeout(timer);
  const results = running.map((stage) => stage.result!);
  if (consumerError !== undefined) throw consumerError;
  const ok = results.every((_, index) => stageSucceeded(results, index));
  if (stdinError !== undefined && ok) throw stdinError;
  return { stages: results, ok, durationMs: performance.now() - started };
}

/**
 * A stage is fine when it exited 0, or when it failed only because the stage it feeds stopped reading
 * and exited 0 itself (SIGPIPE, or EPIPE / ECONNRESET reported on stderr: children inherit Node's
 * ignored SIGPIPE, and Node's stdio pipes are socket pairs). A stage that fails on its own while the
 * next one reads to the end (pg_dump dying while zstd sees a clean EOF) is a failure.
 */
export function stageSucceeded(results: readonly CommandResult[], index: number): boolean {
  const result = results[index]!;
  if (result.timedOut) return false;
  if (result.exitCode === 0) return true;
  const next = results[index + 1];
  if (next === undefined || next.exitCode !== 0 || !stageSucceeded(results, index + 1)) return false;
  return result.signal === 'SIGPIPE' || /broken pipe|EPIPE|connection reset|ECONNRESET/i.test(result.stderr);
}

function maskAll(text: string, secrets: readonly string[] | undefined): string {
  let out = redactor.redact(text);
  // Longest first, as the redactor does: a secret containing a shorter one is masked whole.
  for (const secret of [...(secrets ?? [])].sort((a, b) => b.length - a.length)) if (secret) out = out.split(secret).join('***');
  return out;
}

export function redactArgv(command: CommandSpec): string[] {
  return command.argv.map((arg) => maskAll(arg, command.redact));
}

/** A printable, redacted rendering for plans and errors; quoting only for display, never executed. */
export function describeCommand(command: CommandSpec): string {
  return redactArgv(command)
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** A pipeline for display: `pg_dump … | zstd …`, redacted. */
export function describePipeline(stages: readonly CommandSpec[]): string {
  return stages.map(describeCommand).join(' | ');
}

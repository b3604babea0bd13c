import type { SecretRef } from './secret-ref.js';

/**
 * A command as data: what `exec/` runs, what dry-run prints, what unit tests assert. Never a shell
 * string. Commands end up in plans, which are printed and stored in the ledger: a secret goes in
 * `env` as a SecretRef (resolved by the executor right before it spawns), never as a value, and
 * never in argv.
 */
export interface CommandSpec {
  argv: readonly string[];
  cwd?: string;
  /** Added to rewind's own environment. A plain string is used as it is (plans stored before references existed hold values here). */
  env?: Record<string, string | SecretRef>;
  /**
   * Extra strings to mask wherever this command is printed or logged. New code leaves it out: the
   * values behind `env` references are masked anyway. Plans stored before references existed carry
   * their values here; they are still honoured.
   */
  redact?: readonly string[];
  timeoutMs?: number;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface Executor {
  run(command: CommandSpec): Promise<CommandResult>;
}

/**
 * Streaming for tools whose output is too big to buffer (database dumps): a pipeline of argv
 * commands, each stage's stdout connected to the next stage's stdin by an OS pipe (no shell, and
 * rewind's process is not in the data path between stages). Only the ends are handed to the caller.
 */
export interface StreamIo {
  /** Writes the first stage's stdin (for example a file through gunzip); must end it when done. */
  stdin?: (sink: NodeJS.WritableStream) => Promise<void>;
  /** Consumes the last stage's stdout (for example hash it into a file). Without it stdout is captured like run(). */
  stdout?: (source: NodeJS.ReadableStream) => Promise<void>;
  /** Told as each stage exits, while later stages may still run (a restore decides on COMMIT when its producers are done). */
  onStageExit?: (index: number, result: CommandResult) => void;
}

export interface PipelineResult {
  /** One result per stage, in order; stdout is only captured for the last stage when no consumer was given. */
  stages: CommandResult[];
  /**
   * True when every stage exited 0, except that a stage may fail after the stage it feeds closed
   * successfully without reading all input (what a shell would report as SIGPIPE, e.g. `| head`).
   */
  ok: boolean;
  durationMs: number;
}

export interface StreamingExecutor extends Executor {
  runPipeline(stages: readonly CommandSpec[], io?: StreamIo): Promise<PipelineResult>;
}

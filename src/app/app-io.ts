import type { Interruption } from '../core/services.js';

/**
 * What an entry point (the CLI, the demo) gives the app: where to write, which environment to read
 * (REWIND_CONFIG, REWIND_ACTOR), and the process's Ctrl-C / SIGTERM watch when there is one. The
 * CLI's CliIo adds what only a terminal needs (colour).
 */
export interface AppIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The real process's signal watch (cli/main.ts); absent when a test drives an entry point in-process. */
  interruption?: Interruption;
}

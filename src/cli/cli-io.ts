import { PLAIN, terminalStyle, type TerminalStyle } from './terminal-style.js';

/** Where a command writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /**
   * Colour on stdout (terminal-style.ts: a TTY, NO_COLOR unset, no --no-color). main() decides it
   * once from the arguments when the caller leaves it out.
   */
  color?: boolean;
  /** The real process's Ctrl-C / SIGTERM watch (main.ts); absent when a test drives the CLI in-process. */
  interruption?: import('../core/services.js').Interruption;
}

export const writeLine = (stream: NodeJS.WritableStream, line = ''): void => {
  stream.write(`${line}\n`);
};

/** How stdout is styled for this command: colour only when main() decided so. */
export const styleOf = (io: CliIo): TerminalStyle => (io.color ? terminalStyle(true) : PLAIN);

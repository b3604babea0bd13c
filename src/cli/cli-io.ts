import type { AppIo } from '../app/app-io.js';
import { PLAIN, terminalStyle, type TerminalStyle } from './terminal-style.js';

/** Where a command writes; tests pass their own. The app's AppIo plus what only a terminal needs. */
export interface CliIo extends AppIo {
  /**
   * Colour on stdout (terminal-style.ts: a TTY, NO_COLOR unset, no --no-color). main() decides it
   * once from the arguments when the caller leaves it out.
   */
  color?: boolean;
}

export const writeLine = (stream: NodeJS.WritableStream, line = ''): void => {
  stream.write(`${line}\n`);
};

/** How stdout is styled for this command: colour only when main() decided so. */
export const styleOf = (io: CliIo): TerminalStyle => (io.color ? terminalStyle(true) : PLAIN);

/**
 * Colour for people at a terminal, and none for anything else: a pipe, a file, a CI log parser, or
 * someone who said no (`NO_COLOR`, https://no-color.org: set and not empty; or `--no-color`).
 * A style is a set of plain functions, so the same renderer prints with or without colour.
 */
export interface TerminalStyle {
  readonly enabled: boolean;
  /** Success marks: ✓. */
  ok(text: string): string;
  /** Failure marks and words: ✗, FAILED. */
  bad(text: string): string;
  /** Warnings and pauses: !, ?, a paused watch, an interrupted operation. */
  warn(text: string): string;
  /** What matters less: timings, elapsed time, operation ids. */
  dim(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURED: TerminalStyle = { enabled: true, ok: wrap(32, 39), bad: wrap(31, 39), warn: wrap(33, 39), dim: wrap(2, 22) };
const same = (text: string) => text;
export const PLAIN: TerminalStyle = { enabled: false, ok: same, bad: same, warn: same, dim: same };

/** Whether output to `stream` gets colour: a terminal, NO_COLOR unset or empty, and no `--no-color`. */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && !noColorFlag;
}

export const terminalStyle = (colour: boolean): TerminalStyle => (colour ? COLOURED : PLAIN);

/** Text without the colour codes this module writes (for width and for tests). */
export const stripStyle = (text: string): string => text.replace(/\x1b\[\d+m/g, '');

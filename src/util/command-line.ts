// Commands are data (argv arrays); this is only how one is shown to a person who will paste it.
import { shellQuote } from '../errors/shell-quote.js';

/** Joins argv into one line a POSIX shell reads back as the same argv: odd arguments are single-quoted. */
export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

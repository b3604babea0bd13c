// The advice names commands as argv arrays (commands are data); this is only how they are shown.
import { shellQuote } from '../../util/shell-quote.js';

/** Joins argv into one line a POSIX shell reads back as the same argv: odd arguments are single-quoted. */
export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** The next patch version after `version` (1.4.0 → 1.4.1, 1.4.0-rc.1 → 1.4.1): the name a hotfix would take. */
export function hotfixVersion(version: string | undefined): string {
  const match = version ? /^(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
  if (!match) return '<hotfix-version>';
  return `${match[1]}.${match[2]}.${Number(match[3]) + 1}`;
}

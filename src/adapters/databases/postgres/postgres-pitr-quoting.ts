import { isAbsolute } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';

/** The two strings of a PITR restore that reach a shell, quoted for that shell (see postgres-pitr.ts), and the checks on paths pg_ctl quotes itself. */

/** Control characters cannot be written inside a config-file string (no raw newline) and are never a sane path. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function invalid(message: string, details: Record<string, unknown> = {}): RewindError {
  return new RewindError('REWIND_E_PITR_INVALID', message, details);
}

/**
 * Quotes one argument of a command that PostgreSQL runs through `/bin/sh` (restore_command,
 * archive_command): POSIX single quotes (`'` written as `'\''`), then every `%` doubled, because the
 * server replaces `%f`, `%p`, `%r` and `%%` in the string before the shell sees it. The result still
 * needs `quoteConfString` to be written to postgresql.conf. Control characters are refused.
 */
export function quoteServerCommandArg(value: string, field = 'path'): string {
  if (CONTROL.test(value)) throw invalid(`${field} ${JSON.stringify(value)} contains a control character, which cannot be quoted into a server command`, { field });
  return `'${value.replace(/'/g, `'\\''`)}'`.replace(/%/g, '%%');
}

/**
 * A string literal for postgresql.conf / postgresql.auto.conf: single quotes doubled, and backslashes
 * doubled because the config-file scanner reads `\` as an escape.
 */
export function quoteConfString(value: string): string {
  if (/[\r\n\u0000]/.test(value)) throw invalid(`configuration value ${JSON.stringify(value)} contains a line break or NUL`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The restore_command that copies segments back from a local archive directory: `cp '<dir>'/%f "%p"`.
 * `%f` (a WAL file name) and `%p` (a path under the data directory) come from the server and hold no
 * shell syntax. Written to the config file it must go through `quoteConfString`.
 */
export function buildRestoreCommand(archiveDir: string): string {
  if (!isAbsolute(archiveDir)) throw invalid(`archiveDir ${JSON.stringify(archiveDir)} must be an absolute path (the server runs restore_command in its data directory)`, { field: 'archiveDir' });
  return `cp ${quoteServerCommandArg(archiveDir.replace(/\/+$/, '') || '/', 'archiveDir')}/%f "%p"`;
}

/** pg_ctl puts these paths inside double quotes of a `/bin/sh -c` string, where `"`, `$`, `` ` `` and `\` are live. */
export function assertPgCtlSafePath(path: string, field: string): void {
  if (!isAbsolute(path)) throw invalid(`${field} ${JSON.stringify(path)} must be an absolute path`, { field });
  if (CONTROL.test(path) || /["$`\\]/.test(path)) {
    throw invalid(`${field} ${JSON.stringify(path)} contains a character pg_ctl cannot pass safely (", $, \`, \\ or a control character): choose another path`, { field });
  }
}

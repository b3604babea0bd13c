/**
 * ssh has no argv on the wire: the client joins its command arguments with spaces into ONE string
 * and the remote user's login shell parses it (RFC 4254 "exec" carries a string). So an argv array
 * handed to ssh is a shell string on the host, and a version, a path or a user's argv with a space,
 * `;`, `$(...)` or a quote in it would be split or run there. Every argument rewind sends over ssh
 * goes through `quote`: POSIX single quotes, inside which no character is special, and a single
 * quote itself closed, escaped and reopened (`'\''`). It is correct for sh, dash, bash, zsh and ksh,
 * which is every login shell rewind expects on a Linux host. This is the only place that quotes.
 */
export function quote(argument: string): string {
  if (argument.includes('\0')) throw new Error('an argument sent over ssh cannot contain a NUL byte');
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** One argv array as the remote shell will run it: every element quoted, nothing else. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('an empty argv cannot be run over ssh');
  return argv.map(quote).join(' ');
}

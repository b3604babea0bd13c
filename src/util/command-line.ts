// Commands are data (argv arrays); this is only how one is shown to a person who will paste it.

const SAFE_ARG = /^[\w@%+=:,./-]+$/;

/** Joins argv into one line a POSIX shell reads back as the same argv: odd arguments are single-quoted. */
export function commandLine(argv: string[]): string {
  return argv.map((arg) => (SAFE_ARG.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

// How an argument is shown inside a command a person may paste into a POSIX shell (hints, advice).
// Here rather than in util/ because error hints need it, and errors/ imports nothing from util/
// (util/ throws RewindError: one direction only).

const SAFE_ARG = /^[\w@%+=:,./-]+$/;

/** The argument as a shell reads it back unchanged: as it is when plain, single-quoted otherwise. */
export function shellQuote(arg: string): string {
  return SAFE_ARG.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

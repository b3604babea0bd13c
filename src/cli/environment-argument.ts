import { RewindError } from '../errors/rewind-error.js';
import type { CliIo } from './cli-io.js';

/**
 * The environment a command acts on. Named: that one (an unknown name is REWIND_E_UNKNOWN_ENV
 * later, as before). Left out: the only environment rewind.yaml defines, said on stderr so stdout
 * (and --json) stays the command's own; with several, REWIND_E_USAGE naming them, and nothing runs.
 */
export function resolveEnvironment(given: string | undefined, known: readonly string[], io: CliIo, usage: string): string {
  if (given !== undefined) return given;
  if (known.length === 1) {
    io.stderr.write(`note: environment ${known[0]} (the only one in rewind.yaml)\n`);
    return known[0]!;
  }
  throw new RewindError('REWIND_E_USAGE', `which environment? rewind.yaml defines ${known.join(', ')}: name one — usage: ${usage}`, { argument: '<env>', known: [...known] });
}

/**
 * `[<env>] <version>` (deploy, release register). Two arguments are the environment and the version.
 * One argument is the environment when rewind.yaml defines an environment of that name (then the
 * version is missing: REWIND_E_USAGE), and the version otherwise, deployed to the only environment.
 * Environment names may look like versions ("1.0"): a name wins; give both to say otherwise.
 */
export function resolveEnvironmentAndVersion(positionals: readonly string[], known: readonly string[], io: CliIo, usage: string): { env: string; version: string } {
  if (positionals.length >= 2) return { env: positionals[0]!, version: positionals[1]! };
  const [only] = positionals;
  if (only === undefined || known.includes(only)) {
    const why = only === undefined ? 'none was given' : `${JSON.stringify(only)} is an environment in rewind.yaml; the version goes after it`;
    throw new RewindError('REWIND_E_USAGE', `which version? ${why} — usage: ${usage}`, { argument: '<version>' });
  }
  return { env: resolveEnvironment(undefined, known, io, usage), version: only };
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RewindError } from '../errors/rewind-error.js';
import { closestMatches, didYouMean } from '../util/did-you-mean.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS: OptionSpec = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // Read by main() (terminal-style.ts); accepted here so every command takes it.
  'no-color': { type: 'boolean' },
};

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  string(name: string): string | undefined;
  /** Every value of a repeatable option (`multiple: true`), in order; empty when not given. */
  strings(name: string): string[];
  flag(name: string): boolean;
}

/** parseArgs with strict checking; mistakes become REWIND_E_USAGE naming the argument. */
export function parseCommandArgs(args: string[], options: OptionSpec, positionals: { min: number; max: number; usage: string }): ParsedArgs {
  const all: OptionSpec = { ...GLOBAL_OPTIONS, ...options };
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch {
    throw argumentError(args, all, positionals.usage);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (!values.help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    const expected = positionals.min === positionals.max ? `${positionals.min}` : `${positionals.min}–${positionals.max}`;
    throw new RewindError('REWIND_E_USAGE', `expected ${expected} argument(s), got ${parsed.positionals.length} — usage: ${positionals.usage}`);
  }
  return {
    values,
    positionals: parsed.positionals,
    string: (name) => (typeof values[name] === 'string' ? (values[name] as string) : undefined),
    flag: (name) => values[name] === true,
    strings: (name) => {
      const value = values[name];
      return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
    },
  };
}

/** `rewind <command> <sub>` with a subcommand the command does not have: the nearest one, and the usage. */
export function unknownSubcommand(command: string, given: string, known: readonly string[], usage: string): RewindError {
  const suggestions = closestMatches(given, known);
  const guess = didYouMean(suggestions);
  return new RewindError('REWIND_E_USAGE', `unknown subcommand ${command} ${JSON.stringify(given)}${guess ? `; ${guess}` : ''} — usage: ${usage}`, {
    argument: given,
    ...(suggestions.length ? { suggestions } : {}),
  });
}

/**
 * What is wrong with arguments the strict parse refused, in rewind's words. Node's own messages are
 * written for programmers calling parseArgs (and get cut mid-quote by a first-line split), so the
 * arguments are read again without strictness and each option token is checked against the spec.
 */
function argumentError(args: string[], options: OptionSpec, usage: string): RewindError {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  const refuse = (problem: string, details: Record<string, unknown>) => new RewindError('REWIND_E_USAGE', `${problem} — usage: ${usage}`, details);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    const asWritten = args[token.index]!;
    if (!spec) return unknownOption(token.rawName, asWritten, Object.keys(options), refuse);
    const name = `--${token.name}`;
    if (spec.type === 'boolean' && token.value !== undefined) return refuse(`${name} takes no value (got ${asWritten})`, { argument: name });
    if (spec.type === 'string' && token.value === undefined) return refuse(`${name} needs a value`, { argument: name });
    if (spec.type === 'string' && !token.inlineValue && token.value!.startsWith('-')) {
      return refuse(`${name} needs a value, and the next argument ${token.value} looks like an option; to pass a value that starts with "-", write ${name}=${token.value}`, { argument: name });
    }
  }
  // Not reached for the mistakes above; kept so nothing ever shows Node's text.
  return refuse('the arguments could not be read', {});
}

function unknownOption(rawName: string, asWritten: string, names: string[], refuse: (problem: string, details: Record<string, unknown>) => RewindError): RewindError {
  const longNames = names.map((name) => `--${name}`);
  let shown = rawName;
  let suggestions: string[] = [];
  if (rawName.startsWith('--')) suggestions = closestMatches(rawName, longNames);
  else if (asWritten.length > 2 && !/^-\d/.test(asWritten)) {
    // `-dry-run` is read as the short options -d -r -y…: the long option it resembles is the better guess.
    const asLong = closestMatches(`-${asWritten.split('=')[0]}`, longNames);
    if (asLong.length) [shown, suggestions] = [asWritten.split('=')[0]!, asLong];
  }
  const guess = didYouMean(suggestions);
  const negative = /^-\d/.test(asWritten) ? `; an argument that starts with "-" goes after --, as in: -- ${asWritten}` : '';
  return refuse(`unknown option ${shown}${guess ? `; ${guess}` : ''}${negative}`, { argument: shown, ...(suggestions.length ? { suggestions } : {}) });
}

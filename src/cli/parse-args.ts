import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RewindError } from '../errors/rewind-error.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS: OptionSpec = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // Read by main() (terminal-style.ts); accepted here so every command takes it.
  'no-color': { type: 'boolean' },
};

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  string(name: string): string | undefined;
  flag(name: string): boolean;
}

/** parseArgs with strict checking; mistakes become REWIND_E_USAGE naming the argument. */
export function parseCommandArgs(args: string[], options: OptionSpec, positionals: { min: number; max: number; usage: string }): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new RewindError('REWIND_E_USAGE', `${(error as Error).message.split('\n')[0]} — usage: ${positionals.usage}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (!values.help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    const expected = positionals.min === positionals.max ? `${positionals.min}` : `${positionals.min}–${positionals.max}`;
    throw new RewindError('REWIND_E_USAGE', `expected ${expected} argument(s), got ${parsed.positionals.length} — usage: ${positionals.usage}`);
  }
  return {
    values,
    positionals: parsed.positionals,
    string: (name) => (typeof values[name] === 'string' ? (values[name] as string) : undefined),
    flag: (name) => values[name] === true,
  };
}

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';
import type { FlagProvider } from '../../../ports/flag-provider.js';
import { writeFileAtomic } from '../../../util/atomic-file.js';

type FlagMap = Record<string, unknown>;

/**
 * The `yaml` package, imported when a YAML flag file is read or written: every deploy and rollback
 * builds this provider's module graph, few of them keep flags in YAML. A CommonJS package, so its
 * functions come on `default` once bundled (test/bundle-cjs-imports.test.ts).
 */
const yamlPackage = async () => (await import('yaml')).default;

/**
 * Flags in a JSON or YAML file (by extension) that the app or a flag daemon reads: a top-level map of
 * flag name → boolean. Written through a temp file and a rename, so a reader never sees half a file.
 * Keys rewind was not asked about are kept; YAML comments are not (the file is re-serialised).
 */
export class FileFlagProvider implements FlagProvider {
  private readonly yaml: boolean;

  constructor(private readonly path: string) {
    this.yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  }

  describe(): string {
    return `flag file ${this.path}`;
  }

  async get(names: readonly string[]): Promise<Record<string, boolean>> {
    const flags = await this.read(names);
    return Object.fromEntries(names.filter((n) => Object.hasOwn(flags, n)).map((n) => [n, flags[n] as boolean]));
  }

  async set(values: Record<string, boolean>): Promise<Record<string, boolean | null>> {
    const names = Object.keys(values);
    const flags = await this.read(names);
    const previous = Object.fromEntries(names.map((n) => [n, Object.hasOwn(flags, n) ? (flags[n] as boolean) : null]));
    if (names.every((n) => flags[n] === values[n])) return previous;
    await this.write({ ...flags, ...values });
    return previous;
  }

  async restore(previous: Record<string, boolean | null>): Promise<void> {
    const names = Object.keys(previous);
    const flags = await this.read(names);
    const next: FlagMap = { ...flags };
    for (const [name, value] of Object.entries(previous)) {
      if (value === null) delete next[name];
      else next[name] = value;
    }
    if (names.every((n) => (previous[n] === null ? !Object.hasOwn(flags, n) : flags[n] === previous[n]))) return;
    await this.write(next);
  }

  private async read(names: readonly string[]): Promise<FlagMap> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw this.invalid(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = this.yaml ? (await yamlPackage()).parse(text) : JSON.parse(text);
    } catch (error) {
      throw this.invalid(`is not valid ${this.yaml ? 'YAML' : 'JSON'} (${(error as Error).message.split('\n')[0]})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw this.invalid('is not a map of flag names to true/false');
    const flags = Object.assign(Object.create(null) as FlagMap, parsed);
    const bad = names.filter((n) => Object.hasOwn(flags, n) && typeof flags[n] !== 'boolean');
    if (bad.length) throw this.invalid(`has non-boolean values for ${bad.join(', ')}`);
    return flags;
  }

  private async write(flags: FlagMap): Promise<void> {
    await writeFileAtomic(this.path, this.yaml ? (await yamlPackage()).stringify({ ...flags }) : `${JSON.stringify({ ...flags }, null, 2)}\n`);
  }

  private invalid(why: string): RewindError {
    return new RewindError('REWIND_E_FLAGS_SOURCE', `the flag file ${this.path} ${why}; nothing was written`, { path: this.path });
  }
}

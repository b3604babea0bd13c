import type { FlagProvider } from '../../ports/flag-provider.js';
import { FileFlagProvider } from './file/file-flag-provider.js';
import type { HttpFlagsConfig } from './http/http-flags-config.js';
import { HttpFlagProvider } from './http/http-flag-provider.js';

/** The environment's `flags:` section: exactly one source (the config schema checks it). */
export interface FlagsConfig {
  file?: string;
  http?: HttpFlagsConfig;
}

/** The adapter for an environment's flag source; undefined when it names none. */
export function flagProviderFor(flags: FlagsConfig | undefined, env: NodeJS.ProcessEnv = process.env): FlagProvider | undefined {
  if (flags?.http) return new HttpFlagProvider(flags.http, env);
  if (flags?.file) return new FileFlagProvider(flags.file);
  return undefined;
}

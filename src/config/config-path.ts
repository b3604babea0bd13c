import { resolve } from 'node:path';

export const DEFAULT_CONFIG_FILE = 'rewind.yaml';

/** --config, else $REWIND_CONFIG, else ./rewind.yaml; absolute. */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.REWIND_CONFIG ?? DEFAULT_CONFIG_FILE);
}

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { PM2_RUNTIME_TYPE } from './pm2-constants.js';

/** Which PM2 app to look at, and in which PM2_HOME: what `status` needs to read what serves (pm2-served.ts). */
export interface ObservedPm2App {
  home: string;
  name: string;
}

/**
 * The PM2 app a runtime config (validated before, read without the schema library) runs, with its
 * home resolved as load-config resolves it (relative to the config file; PM2's default home), or
 * undefined when the config is not a PM2 runtime's.
 */
export function observedPm2App(runtime: { type: string; name?: string; pm2Home?: string }, baseDir: string, env: NodeJS.ProcessEnv = process.env): ObservedPm2App | undefined {
  if (runtime.type !== PM2_RUNTIME_TYPE || !runtime.name) return undefined;
  const home = runtime.pm2Home ? (isAbsolute(runtime.pm2Home) ? runtime.pm2Home : resolve(baseDir, runtime.pm2Home)) : (env.PM2_HOME ?? join(env.HOME || homedir(), '.pm2'));
  return { home, name: runtime.name };
}

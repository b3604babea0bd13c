import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';
import { pm2InstallAdvice } from './pm2-install-command.js';

/**
 * The slice of PM2's programmatic API that rewind uses. PM2 is AGPL-3.0, so it is never bundled:
 * it is loaded from the user's own install (their project, rewind's peer, or the global prefix).
 */
export interface Pm2ProcessDescription {
  name?: string;
  /** A number; PM2 parks the outgoing worker of a reload under `_old_<id>` until it exits. */
  pm_id?: number | string;
  pid?: number;
  pm2_env?: { status?: string; pm_exec_path?: string; exec_mode?: string; restart_time?: number };
}

type Callback<T> = (error: Error | null, value: T) => void;

export interface Pm2Api {
  connect(callback: Callback<unknown>): void;
  disconnect(callback?: () => void): void;
  start(options: Record<string, unknown>, callback: Callback<unknown>): void;
  reload(name: string, callback: Callback<unknown>): void;
  restart(name: string, callback: Callback<unknown>): void;
  stop(name: string, callback: Callback<unknown>): void;
  delete(name: string, callback: Callback<unknown>): void;
  describe(name: string, callback: Callback<Pm2ProcessDescription[]>): void;
  killDaemon(callback: Callback<unknown>): void;
}

interface Pm2Module {
  custom: new (options: { pm2_home?: string; daemon_mode?: boolean }) => Pm2Api;
}

let cached: { module: Pm2Module; bin: string } | undefined;

function candidates(): string[] {
  const prefix = dirname(dirname(process.execPath));
  return [join(process.cwd(), 'package.json'), import.meta.url, join(prefix, 'lib', 'node_modules', 'package.json')];
}

/** Loads PM2 and finds its CLI entry, which is used only to start the daemon (see Pm2Runtime). */
export function loadPm2(): { module: Pm2Module; bin: string } {
  if (cached) return cached;
  // PM2's API prints progress to our stdout (read at call time), which would corrupt --json output.
  process.env.PM2_SILENT = 'true';
  for (const from of candidates()) {
    try {
      const require = createRequire(from);
      const module = require('pm2') as Pm2Module;
      cached = { module, bin: join(dirname(require.resolve('pm2/package.json')), 'bin', 'pm2') };
      return cached;
    } catch {
      // try the next place
    }
  }
  const advice = pm2InstallAdvice();
  throw new RewindError(
    'REWIND_E_RUNTIME_UNAVAILABLE',
    `the pm2 runtime needs PM2, an optional peer of rewind that is never bundled (AGPL-3.0), and it was not found in this project, next to rewind or in the global npm prefix; ${advice.text}`,
    { runtime: 'pm2', ...(advice.argv ? { install: advice.argv } : {}), ...(advice.cwd ? { installIn: advice.cwd } : {}) },
  );
}

export function createPm2Client(pm2Home: string | undefined): Pm2Api {
  const { custom: Pm2 } = loadPm2().module;
  return new Pm2(pm2Home ? { pm2_home: pm2Home, daemon_mode: true } : { daemon_mode: true });
}

export function pm2Call<T>(fn: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

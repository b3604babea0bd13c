import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

/** The real `pm2` command line of the install rewind's tests run with (node_modules/.bin/pm2): what a host's `pm2` is in the fleet tests. */
export const PM2_BIN = join(packageRoot(), 'node_modules', '.bin', 'pm2');

/** The pid of the PM2 daemon of `home`, when one lives. */
export function pm2DaemonPid(home: string): number | null {
  const file = join(home, 'pm2.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** `pm2 jlist` of `home`'s daemon (a test reads what PM2 itself says); [] when no daemon lives, without starting one. */
export function pm2List(home: string): { name: string; pid: number; pm2_env: { status: string; pm_cwd?: string } }[] {
  if (pm2DaemonPid(home) === null) return [];
  const result = spawnSync(PM2_BIN, ['jlist'], { env: { ...process.env, PM2_HOME: home }, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`pm2 jlist exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.split('\n').find((line) => line.startsWith('['))!) as ReturnType<typeof pm2List>;
}

/**
 * Stops the PM2 daemon of `home` only (never another one): `pm2 kill` with that PM2_HOME, then its
 * pid, by the number its pid file named, if it is still alive.
 */
export function killPm2Daemon(home: string): void {
  const pid = pm2DaemonPid(home);
  if (pid === null) return;
  spawnSync(PM2_BIN, ['kill'], { env: { ...process.env, PM2_HOME: home }, stdio: 'ignore', timeout: 30_000 });
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone with `pm2 kill`.
  }
}

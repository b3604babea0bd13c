import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the app's live processes really run from, read without PM2's client (status stays fast).
 * The PM2 daemon (its pid in `PM2_HOME/pm2.pid`) forks every app process itself, and hands each one
 * its description in the `pm2_env` variable (JSON with the app's `name`); on Linux a process's
 * working directory (`/proc/<pid>/cwd`) is the release directory its `current` link resolved to
 * when it started, so a process started before a link switch still shows the release it runs.
 * (PM2's pid files cannot be used: PM2 names them after the app with a trailing `-<number>`
 * replaced by the process id, so `rw-4021` and `rw-7` would share `rw-0.pid`.)
 * Returns one real directory per live process (empty: none runs), or null where /proc is missing.
 */
export function pm2ServedDirs(pm2Home: string, appName: string): string[] | null {
  if (process.platform !== 'linux' || !existsSync('/proc/self/cwd')) return null;
  const daemon = readNumber(join(pm2Home, 'pm2.pid'));
  if (daemon === null || !existsSync(`/proc/${daemon}`)) return [];
  const dirs: string[] = [];
  for (const pid of childrenOf(daemon)) {
    try {
      // Linux marks a working directory removed since with " (deleted)": the process still runs that release.
      if (appOf(pid) === appName) dirs.push(readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, ''));
    } catch {
      // Gone between the listing and the read: it serves nothing.
    }
  }
  return dirs;
}

function readNumber(file: string): number | null {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** Children of every thread of `pid` (a child belongs to the thread that forked it). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (child) children.push(Number(child));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return children;
}

/**
 * The PM2 app name a process was started as: cluster workers get their description as JSON in
 * `pm2_env`, fork-mode processes get it flattened into the environment (`name`, `pm_id`).
 */
function appOf(pid: number): string | null {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const cluster = entries.find((e) => e.startsWith('pm2_env='));
  if (cluster) {
    try {
      const name = (JSON.parse(cluster.slice('pm2_env='.length)) as { name?: unknown }).name;
      return typeof name === 'string' ? name : null;
    } catch {
      return null;
    }
  }
  const name = entries.find((e) => e.startsWith('name='));
  return name && entries.some((e) => e.startsWith('pm_id=')) ? name.slice('name='.length) : null;
}

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the app's live processes really run from, read without PM2's client (status stays fast):
 * PM2 writes one pid file per process (`PM2_HOME/pids/<app>-<pm_id>.pid`), and on Linux a process's
 * working directory (`/proc/<pid>/cwd`) is the release directory its `current` link resolved to when
 * it started — so a process started before a link switch still shows the release it runs.
 * Returns one real directory per live process (empty: none runs), or null where /proc is missing.
 */
export function pm2ServedDirs(pm2Home: string, appName: string): string[] | null {
  if (process.platform !== 'linux') return null;
  let files: string[];
  try {
    files = readdirSync(join(pm2Home, 'pids'));
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${appName.replace(/[.]/g, '\\.')}-\\d+\\.pid$`);
  const dirs: string[] = [];
  for (const file of files) {
    if (!pattern.test(file)) continue;
    try {
      const pid = Number(readFileSync(join(pm2Home, 'pids', file), 'utf8').trim());
      // A pid file PM2 did not remove, or a pid reused by another process, has no cwd of ours: it is skipped by the caller.
      if (Number.isInteger(pid) && pid > 0) dirs.push(readlinkSync(`/proc/${pid}/cwd`));
    } catch {
      // The process is gone: it serves nothing.
    }
  }
  return dirs;
}

import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface WorkerProcess {
  pid: number;
  /** The worker got the master's QUIT: it closed its listening sockets and only finishes what it holds. */
  shuttingDown: boolean;
}

/**
 * The children of an nginx master, read from /proc (Linux). Read synchronously on purpose: these are
 * in-memory kernel files (a scan of ~150 processes takes a few ms), while one await per file lets a
 * busy event loop stretch the same scan to a second. `/proc/<pid>/task/<pid>/children` is
 * not in every kernel, so every process's stat is read for its parent pid instead. A shutting-down
 * worker is told by the process title nginx sets (`worker process is shutting down`): nginx has no
 * other interface that says which workers still accept connections. Null without a /proc.
 */
export function nginxWorkers(masterPid: number): WorkerProcess[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null; // Not Linux: the caller cannot confirm a reload and says so.
  }
  const workers: WorkerProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name in parentheses may hold spaces; the fields after the last ')' do not.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== masterPid) continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      workers.push({ pid: Number(entry), shuttingDown: title.includes('shutting down') });
    } catch {
      // The process exited between readdir and read: it serves nothing any more.
    }
  }
  return workers;
}

/** The master's pid from its pid file, or null when nginx is not running or the file is elsewhere. */
export async function readMasterPid(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

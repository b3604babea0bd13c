import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** rewind's note, in PM2_HOME, of which rewind process is using the daemon and for what. */
export const HOLDER_FILE = 'rewind-holder.json';

export interface HolderRecord {
  pid: number;
  app: string;
  action: string;
  since: number;
  /** When this holder's latest reload started (before PM2's client wrote its reload.lock). */
  reloadStartedAt?: number;
}

/**
 * The holder file is written right after the host mutex is taken and removed right before it is
 * let go, so finding one while holding the mutex means its writer died holding it. Writes are
 * synchronous: a SIGKILL can come at any moment, and what is written must be on disk by then.
 */
export class HolderFile {
  constructor(private readonly path: string) {}

  read(): HolderRecord | null {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as HolderRecord;
    } catch {
      return null;
    }
  }

  write(record: HolderRecord): void {
    writeFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  record(extra: Partial<HolderRecord>): void {
    const current = this.read();
    if (current && current.pid === process.pid) this.write({ ...current, ...extra });
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}

/** PM2's reload lock: a timestamp while a client reloads, empty (or absent) otherwise. */
export function readReloadLock(pm2Home: string): string {
  try {
    return readFileSync(join(pm2Home, 'reload.lock'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** Empties the reload lock the way PM2's own client does when its reload ends. */
export function clearReloadLock(pm2Home: string): void {
  writeFileSync(join(pm2Home, 'reload.lock'), '');
}

export function realPathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

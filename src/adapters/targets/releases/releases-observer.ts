import { readlinkSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ServedProcess } from '../../../ports/target.js';
import { observedPm2App, type ObservedPm2App } from '../../runtimes/pm2/pm2-observed.js';
import { pm2ServedDirs } from '../../runtimes/pm2/pm2-served.js';
import { hasSlots } from '../slotted-releases/slotted-releases-name.js';

/** Where `status` looks at what a releases target runs: its link, and (PM2) the app's processes. */
export interface ObservedTarget {
  path: string;
  pm2?: ObservedPm2App;
}

/**
 * The observed slice of a releases target's config (validated before; read without the schema
 * library), resolved as load-config resolves it. Zod-free: the status fast path calls it.
 */
export function observedReleasesTarget(target: { path: string; slots?: unknown; runtime: { type: string; name?: string; pm2Home?: string } }, baseDir: string, env: NodeJS.ProcessEnv = process.env): ObservedTarget {
  const path = isAbsolute(target.path) ? target.path : resolve(baseDir, target.path);
  // Slotted targets run one app per slot, both legitimately serving: status shows the slots instead.
  const pm2 = hasSlots(target) ? undefined : observedPm2App(target.runtime, baseDir, env);
  return pm2 ? { path, pm2 } : { path };
}

/**
 * What a releases target runs, read from the files alone (no PM2 client, no schema): the `current`
 * link, and the release each PM2 process of the app runs from. For `status`, which must start fast.
 */
export function observeReleasesTarget(target: ObservedTarget): { link: string | null; served: ServedProcess[] | null } {
  let link: string | null = null;
  try {
    link = basename(readlinkSync(join(target.path, 'current')));
  } catch {
    // No link: nothing was ever activated.
  }
  const dirs = target.pm2 ? pm2ServedDirs(target.pm2.home, target.pm2.name) : null;
  const releases = join(target.path, 'releases');
  return { link, served: dirs === null ? null : dirs.map((dir) => ({ version: releaseOfDir(releases, dir), where: dir })) };
}

/** The release a process running from `dir` runs, when `dir` is a release directory of `releasesDir`. */
export function releaseOfDir(releasesDir: string, dir: string): string | null {
  let root = releasesDir;
  try {
    root = realpathSync(releasesDir);
  } catch {
    // No releases directory: nothing can run from it.
  }
  const rel = relative(root, dir);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return null;
  const version = rel.split(sep)[0]!;
  return version.startsWith('.') ? null : version;
}

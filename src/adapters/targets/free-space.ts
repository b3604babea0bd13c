import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FreeSpace } from '../../ports/target.js';

/**
 * Free space for an unprivileged writer on the file system that holds `path`, measured at `path` or
 * its nearest existing ancestor: the directory a target writes to may not exist before its first
 * deploy, and a subdirectory may be its own mount, so the measure is taken as close to it as exists.
 */
export async function freeSpaceAt(path: string): Promise<FreeSpace> {
  let probe = path;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const stats = await statfs(probe);
  return { bytes: stats.bavail * stats.bsize, path: probe };
}

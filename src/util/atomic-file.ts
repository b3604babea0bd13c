import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process-alive.js';

let sequence = 0;

/**
 * Replaces `path` by writing a sibling temp file, flushing it and renaming it over: a reader (nginx
 * on reload, `nginx -t`) sees the old file or the new one, never half of one. The temp name starts
 * with '.' and does not end in `.conf`, so an `include upstreams/*.conf` never picks it up.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await sweepDeadTemps(path);
  const temp = join(dirname(path), `.${basename(path)}.rewind-${process.pid}-${++sequence}.tmp`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * A rewind killed between creating its temp file and renaming it leaves the temp file behind; the
 * pid in its name says whose it was, so the next write removes those of processes that are gone.
 */
async function sweepDeadTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.rewind-`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) await rm(join(dirname(path), name), { force: true });
  }
}

/** Puts back what `readOptional` returned: the old text, or no file when there was none. */
export async function restoreFile(path: string, previous: string | null): Promise<void> {
  if (previous === null) await rm(path, { force: true });
  else await writeFileAtomic(path, previous);
}

/** The file's text, or null when it does not exist (any other error is thrown). */
export async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

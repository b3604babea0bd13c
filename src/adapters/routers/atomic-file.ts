import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let sequence = 0;

/**
 * Replaces `path` by writing a sibling temp file, flushing it and renaming it over: a reader (nginx
 * on reload, `nginx -t`) sees the old file or the new one, never half of one. The temp name starts
 * with '.' and does not end in `.conf`, so an `include upstreams/*.conf` never picks it up.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
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

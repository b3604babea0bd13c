import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressReporter } from '../../ports/step-progress.js';
import { formatBytes } from '../../util/format-bytes.js';

/** Bytes at `path`: a file's size, or the sum of a directory's files (pg_dump's directory format is flat); null while it does not exist. */
async function bytesAt(path: string): Promise<number | null> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return info.size;
    let total = 0;
    for (const entry of await readdir(path, { withFileTypes: true })) if (entry.isFile()) total += (await stat(join(path, entry.name))).size;
    return total;
  } catch {
    return null;
  }
}

/**
 * Tells `progress` how much of a dump is written while the engine writes it, from outside the
 * engine: every DatabaseEngine writes its dump through `<destination>.partial` (the port's contract),
 * so its growth is read from the file system, whatever the engine and its tools. Returns the stop
 * function, which waits for a reading in flight so no progress arrives after the step's end.
 */
export function reportDumpGrowth(destination: string, progress: ProgressReporter, everyMs = 2000): () => Promise<void> {
  const partial = `${destination}.partial`;
  let last = -1;
  let reading: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (reading) return;
    reading = (async () => {
      const bytes = await bytesAt(partial);
      if (bytes !== null && bytes !== last) {
        last = bytes;
        await progress({ message: `${formatBytes(bytes)} written`, current: bytes });
      }
    })().finally(() => (reading = null));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await reading;
  };
}

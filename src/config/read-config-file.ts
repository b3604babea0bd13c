import { closeSync, openSync, readSync } from 'node:fs';
import { RewindError } from '../errors/rewind-error.js';

/** The largest config file rewind reads: far beyond any real one, small enough to parse at once. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The text of a config file, refused with REWIND_E_CONFIG_TOO_LARGE past MAX_CONFIG_BYTES. It reads
 * at most one byte more than the limit rather than trusting the size the file system reports, so a
 * file that grows meanwhile, a FIFO or /dev/zero is refused too instead of read without end.
 */
export function readConfigFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_CONFIG_BYTES) {
      throw new RewindError('REWIND_E_CONFIG_TOO_LARGE', `config file ${path} is larger than ${MAX_CONFIG_BYTES} bytes (1 MiB), the most rewind reads`, { path, limit: MAX_CONFIG_BYTES });
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

import { constants } from 'node:fs';
import { chmod, link, lstat, mkdir, open, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Receives a file's bytes in order; then exactly one of `close` (finish it) or `abort` (after a failure). */
export interface FileSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Closes the file without raising: the error that made the caller stop is the one to report. */
  abort(): Promise<void>;
}

/** Thrown for a failed write, naming the path being written (an fd write's own message names none). */
export class TreeWriteError extends Error {
  readonly code: string | undefined;

  constructor(
    error: NodeJS.ErrnoException,
    readonly path: string,
  ) {
    super(error.path ? error.message : `${error.message} '${path}'`, { cause: error });
    this.name = 'TreeWriteError';
    this.code = error.code;
  }
}

/**
 * Writes a checked release tree into a fresh staging directory, one entry at a time: every write
 * is awaited before the next starts, so when a write fails nothing else is in flight and the caller
 * can remove the directory at once (no cleanup racing an extraction). It never follows a symlink:
 * paths come from an ArtifactTree that refused anything inside a symlink, files are created with
 * O_EXCL|O_NOFOLLOW, and it only ever creates regular files, directories and symlinks. Permission
 * bits are kept (setuid, setgid and sticky are not); owners are the deploying user's.
 */
export class TreeWriter {
  constructor(readonly root: string) {}

  async directory(path: string, mode: number): Promise<void> {
    const target = join(this.root, path);
    await this.guard(target, async () => {
      await this.parents(path);
      try {
        await mkdir(target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await lstat(target)).isDirectory()) throw error;
      }
      // The owner keeps rwx so the rest of the tree can be written into it.
      await chmod(target, (mode & 0o777) | 0o700);
    });
  }

  async symlink(path: string, linkTarget: string, replaces: boolean): Promise<void> {
    const target = join(this.root, path);
    await this.guard(target, async () => {
      await this.parents(path);
      if (replaces) await unlink(target);
      await symlink(linkTarget, target);
    });
  }

  async hardlink(path: string, existing: string, replaces: boolean): Promise<void> {
    const target = join(this.root, path);
    await this.guard(target, async () => {
      await this.parents(path);
      if (replaces) await unlink(target);
      await link(join(this.root, existing), target);
    });
  }

  async file(path: string, mode: number, replaces: boolean, mtime?: Date): Promise<FileSink> {
    const target = join(this.root, path);
    let handle: FileHandle | undefined;
    await this.guard(target, async () => {
      await this.parents(path);
      if (replaces) await unlink(target);
      handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    });
    const fh = handle!;
    return {
      write: (chunk) =>
        this.guard(target, async () => {
          for (let offset = 0; offset < chunk.length; ) offset += (await fh.write(chunk, offset, chunk.length - offset)).bytesWritten;
        }),
      close: () =>
        this.guard(target, async () => {
          try {
            await fh.chmod((mode & 0o777) | 0o400);
            if (mtime) await fh.utimes(mtime, mtime);
          } finally {
            await fh.close();
          }
        }),
      abort: () => fh.close().catch(() => undefined),
    };
  }

  private async parents(path: string): Promise<void> {
    const parent = dirname(path);
    if (parent !== '.') await mkdir(join(this.root, parent), { recursive: true });
  }

  private async guard(path: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      throw error instanceof TreeWriteError ? error : new TreeWriteError(error as NodeJS.ErrnoException, path);
    }
  }
}

import { constants } from 'node:fs';
import { mkdtemp, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RewindError } from '../../errors/rewind-error.js';
import type { Executor } from '../../ports/executor.js';
import { processAlive } from '../../util/process-alive.js';

/**
 * How a PostgreSQL restore commits only when the whole archive went through, with rewind out of
 * the data path. psql reads pg_restore's script straight from its pipe (`--file=-`), then reads
 * one more file: this named pipe, where rewind writes `COMMIT;` once every producer stage
 * (zstd, pg_restore) exited 0, and `ROLLBACK;` otherwise. A script cut short by a failing
 * pg_restore reaches psql's end of input like a complete one, so the decision cannot be in the
 * script; and psql cannot get ahead of it, because it blocks reading the pipe until rewind writes.
 * (Relaying the script through rewind to append COMMIT cost about 2.4 s of CPU per 1.5 GB.)
 *
 * rewind opens the pipe read-write: that never blocks, and it keeps the pipe's buffer alive
 * whether psql opens it before or after the decision is written, or never (psql stopped on an
 * error first). Each decision ends with `\q`, so psql quits without waiting for end of file.
 */
export class CommitDecision {
  private decided = false;

  private constructor(
    /** The named pipe to pass to psql as its last `--file`. */
    readonly path: string,
    private readonly dir: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(executor: Executor): Promise<CommitDecision> {
    await sweepOrphans(tmpdir());
    // The pid in the name tells a later restore whose directory it is once its owner is gone.
    const dir = await mkdtemp(join(tmpdir(), `rewind-restore-${process.pid}-`));
    const path = join(dir, 'commit-decision');
    try {
      const made = await executor.run({ argv: ['mkfifo', '-m', '600', path], timeoutMs: 10_000 });
      if (made.exitCode !== 0) throw new RewindError('REWIND_E_RESTORE_FAILED', `cannot create the restore's commit pipe (mkfifo ${path}): ${made.stderr.trim() || `exit ${made.exitCode}`}`, { path });
      return new CommitDecision(path, dir, await open(path, constants.O_RDWR));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Writes the decision once; later calls do nothing. */
  async decide(commit: boolean): Promise<void> {
    if (this.decided) return;
    this.decided = true;
    await this.handle.write(commit ? 'COMMIT;\n\\q\n' : 'ROLLBACK;\n\\q\n');
  }

  /** Call after psql exited: with no decision written, a psql still reading would roll back at end of file. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Removes the temporary directories of restores whose rewind process died (SIGKILL, OOM, a lost
 * runner): a killed restore cannot clean up after itself, and nothing else would.
 */
export async function sweepOrphans(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const owner = /^rewind-restore-(\d+)-/.exec(name);
    if (!owner || processAlive(Number(owner[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}


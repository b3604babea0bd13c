import { copyFile, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Putting an RDB back where Redis loads it. The trap: with `appendonly yes` Redis loads the
 * append-only file at start and ignores the RDB, so copying dump.rdb back alone brings the data
 * back as it was before the restore (and a moved-away AOF gives an empty database: Redis 7 does not
 * fall back to the RDB). So with AOF on, the AOF is seeded from the snapshot: Redis 7's multi-part
 * AOF takes an RDB as its base file; before 7, an AOF may begin with an RDB preamble, so the RDB
 * itself is a valid appendonly.aof. The AOF Redis had is moved aside, never deleted.
 */

export interface RedisFiles {
  dir: string;
  dbfilename: string;
  /** Redis 7: the AOF directory's name (`appendonlydir`); the file name prefix is `appendfilename`. */
  appendDirname: string;
  appendFilename: string;
}

const exists = async (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** Copies `from` to `to` through a temporary name and an fsync: Redis never sees half a file. */
async function placeCopy(from: string, to: string): Promise<void> {
  const partial = `${to}.rewind-partial`;
  await copyFile(from, partial);
  const handle = await open(partial, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, to);
}

/** RDB magic: every RDB file starts with `REDIS` and a four-digit version. */
export async function readsAsRdb(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(9);
    const { bytesRead } = await handle.read(head, 0, 9, 0);
    return bytesRead === 9 && /^REDIS\d{4}$/.test(head.toString('latin1'));
  } finally {
    await handle.close();
  }
}

/**
 * Writes the snapshot where the stopped server will load it; returns where the old AOF went (null:
 * AOF off, or there was none). `stamp` names the moved-aside AOF.
 */
export async function placeSnapshot(snapshot: string, files: RedisFiles, options: { aof: boolean; major: number; stamp: string }): Promise<string | null> {
  await placeCopy(snapshot, join(files.dir, files.dbfilename));
  if (!options.aof) return null;
  if (options.major >= 7) {
    const aofDir = join(files.dir, files.appendDirname);
    const aside = `${aofDir}.before-rewind-${options.stamp}`;
    const had = await exists(aofDir);
    if (had) await rename(aofDir, aside);
    const fresh = `${aofDir}.rewind-partial`;
    await rm(fresh, { recursive: true, force: true });
    await mkdir(fresh);
    const base = `${files.appendFilename}.1.base.rdb`;
    const incr = `${files.appendFilename}.1.incr.aof`;
    await copyFile(snapshot, join(fresh, base));
    await writeFile(join(fresh, incr), '');
    await writeFile(join(fresh, `${files.appendFilename}.manifest`), `file ${base} seq 1 type b\nfile ${incr} seq 1 type i\n`);
    await rename(fresh, aofDir);
    return had ? aside : null;
  }
  const aofFile = join(files.dir, files.appendFilename);
  const aside = `${aofFile}.before-rewind-${options.stamp}`;
  const had = await exists(aofFile);
  if (had) await rename(aofFile, aside);
  await placeCopy(snapshot, aofFile);
  return had ? aside : null;
}

import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-file.js';

describe('writeFileAtomic', () => {
  let dir: string | undefined;
  afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

  it('removes the temp files a killed writer left (its pid is gone) and keeps those of live ones', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-atomic-'));
    const path = join(dir, 'upstream.conf');
    // A pid that existed and is gone: a child that already exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(dir, `.upstream.conf.rewind-${dead}-3.tmp`), 'half');
    await writeFile(join(dir, `.upstream.conf.rewind-${process.ppid}-1.tmp`), 'a live writer');
    await writeFile(join(dir, 'other.conf'), 'not ours');
    await writeFileAtomic(path, 'server 127.0.0.1:1;\n');
    expect(await readFile(path, 'utf8')).toBe('server 127.0.0.1:1;\n');
    expect((await readdir(dir)).sort()).toEqual([`.upstream.conf.rewind-${process.ppid}-1.tmp`, 'other.conf', 'upstream.conf']);
  });
});

import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepProgress } from '../../ports/step-progress.js';
import { reportDumpGrowth } from './dump-growth.js';

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('reportDumpGrowth', () => {
  let dir: string;
  beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'rewind-growth-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reports the bytes of the .partial dump as it grows, once per size, and nothing after stop', async () => {
    const destination = join(dir, 'prod.dump');
    const seen: StepProgress[] = [];
    const stop = reportDumpGrowth(destination, async (update) => void seen.push(update), 20);
    // Nothing yet: no file, no report.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    // Written aside and renamed in, so the poller never sees the file empty (it did once, under load).
    await writeFile(`${destination}.first`, Buffer.alloc(2048));
    await rename(`${destination}.first`, `${destination}.partial`);
    await until(() => seen.length === 1);
    const total = 2048 + 3 * 1024 * 1024;
    await appendFile(`${destination}.partial`, Buffer.alloc(3 * 1024 * 1024));
    await until(() => seen.at(-1)?.current === total);
    // The size did not change: no new report.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reported = seen.length;
    await stop();
    await appendFile(`${destination}.partial`, Buffer.alloc(10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toHaveLength(reported);
    expect(seen[0]).toEqual({ message: '2.0 KiB written', current: 2048 });
    expect(seen.at(-1)).toEqual({ message: '3.0 MiB written', current: total });
    // One report per new size (a write may be seen half-way), never the same size twice.
    const sizes = seen.map((u) => u.current!);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(new Set(sizes).size).toBe(sizes.length);
  });

  it('counts a directory dump (pg_dump --format=directory) by its files', async () => {
    const destination = join(dir, 'prod');
    const seen: StepProgress[] = [];
    const { mkdir } = await import('node:fs/promises');
    await mkdir(`${destination}.partial`);
    await writeFile(join(`${destination}.partial`, 'toc.dat'), Buffer.alloc(1000));
    await writeFile(join(`${destination}.partial`, '3001.dat.gz'), Buffer.alloc(24));
    const stop = reportDumpGrowth(destination, async (update) => void seen.push(update), 20);
    await until(() => seen.length === 1);
    await stop();
    expect(seen).toEqual([{ message: '1.0 KiB written', current: 1024 }]);
  });
});

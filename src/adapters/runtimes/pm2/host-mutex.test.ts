import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HostMutex } from './host-mutex.js';

// Two holders of one resource, as two rewind processes sharing a PM2 daemon are (a second instance
// in this process binds the same socket name, so it is refused the same way).

describe('HostMutex.acquire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-mutex-'));
  const resource = join(dir, `pm2-home-${process.pid}-${Math.random()}`);
  const held: HostMutex[] = [];
  const mutex = () => {
    const m = new HostMutex(resource, dir);
    held.push(m);
    return m;
  };
  afterEach(async () => {
    for (const m of held.splice(0)) await m.release();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports no wait when the first try takes it (not the try\'s own milliseconds), and onWait is not called', async () => {
    let told = 0;
    expect(await mutex().acquire({ timeoutMs: 1000, onWait: () => told++ })).toBe(0);
    expect(told).toBe(0);
  });

  it('reports how long it waited for another holder, who onWait was told about once', async () => {
    const first = mutex();
    expect(await first.tryAcquire()).toBe(true);
    setTimeout(() => void first.release(), 300);
    let told = 0;
    const waited = await mutex().acquire({ timeoutMs: 5000, onWait: () => told++ });
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(told).toBe(1);
  });

  it('gives up after timeoutMs while the other holder keeps it', async () => {
    expect(await mutex().tryAcquire()).toBe(true);
    await expect(mutex().acquire({ timeoutMs: 200 })).rejects.toThrow(/held it for more than 200 ms/);
  });
});

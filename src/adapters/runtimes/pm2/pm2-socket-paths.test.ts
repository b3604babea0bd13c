import { describe, expect, it } from 'vitest';
import { pm2HomeTooLong, UNIX_SOCKET_PATH_MAX_BYTES } from './pm2-socket-paths.js';

describe('pm2HomeTooLong', () => {
  it('accepts a PM2_HOME whose socket paths fit exactly and refuses one byte more', () => {
    // '/' + home + '/rpc.sock' (9 bytes): the longest socket decides.
    const fits = `/${'h'.repeat(UNIX_SOCKET_PATH_MAX_BYTES - 1 - 9)}`;
    expect(pm2HomeTooLong(fits)).toBeNull();
    const error = pm2HomeTooLong(`${fits}x`);
    expect(error?.code).toBe('REWIND_E_PM2_HOME_TOO_LONG');
    expect(error?.details).toMatchObject({ pm2Home: `${fits}x`, bytes: UNIX_SOCKET_PATH_MAX_BYTES + 1, maxBytes: UNIX_SOCKET_PATH_MAX_BYTES });
    expect(error?.message).toContain(`${fits}x/rpc.sock`);
  });

  it('counts bytes, not characters', () => {
    // 'é' is two bytes in UTF-8: half as many characters reach the same limit.
    const home = `/${'é'.repeat(50)}`;
    expect(Buffer.byteLength(`${home}/rpc.sock`)).toBeGreaterThan(UNIX_SOCKET_PATH_MAX_BYTES);
    expect(pm2HomeTooLong(home)?.details.bytes).toBe(Buffer.byteLength(`${home}/rpc.sock`));
  });
});

describe('Pm2Runtime with a PM2_HOME too deep for its sockets', () => {
  it('fails activate and stop with the coded error, unchanged, without creating PM2_HOME or starting a daemon', async () => {
    const { mkdtempSync, existsSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Pm2Runtime } = await import('./pm2-runtime.js');
    const { ProcessExecutor } = await import('../../../exec/process-executor.js');
    const root = mkdtempSync(join(tmpdir(), 'pm2-deep-'));
    try {
      const pm2Home = join(root, 'x'.repeat(110));
      const runtime = new Pm2Runtime({ type: 'pm2', name: 'deep', script: 'server.js', execMode: 'fork', instances: 1, env: {}, pm2Home, listenTimeoutMs: 8000, killTimeoutMs: 2000, busyTimeoutMs: 1000 } as never, new ProcessExecutor());
      const context = { currentDir: join(root, 'current'), releaseDir: join(root, 'r'), version: '1.0.0' };
      for (const outcome of [await runtime.activate(context), await runtime.stop(context)]) {
        expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_PM2_HOME_TOO_LONG', unchanged: true });
      }
      await expect(runtime.isRunning()).resolves.toBe(false);
      expect(existsSync(pm2Home)).toBe(false);
      await runtime.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

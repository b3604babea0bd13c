import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStateStore } from '../../src/adapters/stores/redis/redis-store.js';
import type { RewindError } from '../../src/errors/rewind-error.js';
import { REDIS_STORE, redisStateSchema } from '../../src/adapters/stores/redis/redis-config.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { stateStoreContract, type StateStoreHarness } from '../contracts/state-store-contract.js';
import { freePort, RedisServer } from '../support/redis-server.js';

// The StateStore contract against real, throwaway redis-servers (each its own port and dir; the
// shared one on 6379 keeps nothing on disk): once with RDB only, once with appendonly yes, the
// setting under which copying an RDB back alone restores nothing.

const PREFIXES = ['sess:', 'cart:'] as const;

function storeFor(url: string, restart: string[]): RedisStateStore {
  const config = redisStateSchema.parse({ type: REDIS_STORE, url, prefixes: [...PREFIXES], restart, timeoutMs: 20_000 });
  return new RedisStateStore(config, new ProcessExecutor());
}

async function harness(aof: boolean): Promise<StateStoreHarness> {
  const secret = `pw-${aof ? 'aof' : 'rdb'}-Xq7`;
  // Without AOF, scripts are renamed away too: key counting then falls back from a script per SCAN batch to pipelined PTTLs.
  const server = await RedisServer.start({ aof, password: secret, lines: aof ? [] : ['rename-command SCRIPT ""', 'rename-command EVALSHA ""'] });
  const refusingServer = await RedisServer.start({ lines: ['rename-command BGSAVE ""'] });
  const deadPort = await freePort();
  return {
    store: storeFor(server.url, server.restartArgv),
    secret,
    prefixes: PREFIXES,
    admin: {
      set: async (key, value, ttlMs) => void (await server.command('SET', key, value, ...(ttlMs ? ['PX', ttlMs] : []))),
      del: async (key) => void (await server.command('DEL', key)),
      flush: async () => void (await server.command('FLUSHALL')),
      keys: () => server.keys(),
      pid: () => server.pid(),
      restart: async () => {
        await server.shutdown();
        await server.restart();
      },
      stop: () => server.shutdown(),
    },
    refusing: { store: storeFor(refusingServer.url, refusingServer.restartArgv), names: 'BGSAVE' },
    unreachable: { store: storeFor(`redis://:unreach-Secret-9@127.0.0.1:${deadPort}/0`, ['true']), secret: 'unreach-Secret-9' },
    cleanup: async () => {
      await server.stop();
      await refusingServer.stop();
    },
  };
}

stateStoreContract({ name: 'redis, RDB only, scripts renamed away', provider: 'redis', type: REDIS_STORE, capabilities: { aof: false }, create: () => harness(false) });
stateStoreContract({ name: 'redis, appendonly yes', provider: 'redis', type: REDIS_STORE, capabilities: { aof: true }, create: () => harness(true) });

describe('redis with CONFIG renamed away (the server will not say where its files are)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ aof: true, lines: ['rename-command CONFIG ""'] });
    await server.command('SET', 'sess:1', 'v');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a snapshot naming the setting to give, and leaves no file', async () => {
    const destination = join(server.dir, '..', `refused-${server.port}.rdb`);
    const refusal = await storeFor(server.url, server.restartArgv).snapshot(destination).then(
      () => null,
      (error: RewindError) => error,
    );
    expect(refusal?.code).toBe('REWIND_E_STATE_SNAPSHOT_FAILED');
    expect(refusal?.message).toMatch(/would not say its dir .*set state\.dataDir in rewind\.yaml/);
    expect(existsSync(destination)).toBe(false);
  });

  it('snapshots and restores (AOF on) with state.dataDir and state.dbfilename given', async () => {
    const config = redisStateSchema.parse({ type: REDIS_STORE, url: server.url, prefixes: ['sess:'], restart: server.restartArgv, dataDir: server.dir, dbfilename: 'dump.rdb', timeoutMs: 20_000 });
    const store = new RedisStateStore(config, new ProcessExecutor());
    const destination = join(server.dir, '..', `given-${server.port}.rdb`);
    try {
      const snapshot = await store.snapshot(destination);
      await server.command('SET', 'sess:2', 'v');
      const report = await store.restore(snapshot);
      expect(report.keyCounts).toEqual({ 'sess:': { keys: 1, volatile: 0 } });
      expect(await server.keys()).toEqual(['sess:1']);
    } finally {
      await rm(destination, { force: true });
    }
  }, 30_000);
});

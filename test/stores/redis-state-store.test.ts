import { RedisStateStore } from '../../src/adapters/stores/redis/redis-store.js';
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

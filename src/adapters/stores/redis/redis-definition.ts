import { join } from 'node:path';
import { urlSecrets } from '../../../config/parts/secret-policy.js';
import type { StateStoreDefinition } from '../../../ports/adapter-definition.js';
import { REDIS_STORE, redisStateSchema, type RedisStateConfig } from './redis-config.js';

/** Redis as a state store: RESP over node:net for data, the configured argv to start it again. */
export const redisStateStoreDefinition: StateStoreDefinition<RedisStateConfig> = {
  kind: 'state-store',
  name: REDIS_STORE,
  type: REDIS_STORE,
  configSchema: redisStateSchema,
  resolvePaths(config, at) {
    config.backupDir = at.abs(config.backupDir ?? join('backups', at.env, 'redis'));
    config.backupLog = at.abs(config.backupLog);
    if (config.dataDir) config.dataDir = at.abs(config.dataDir);
  },
  secrets: (config) => urlSecrets(config.url),
  capabilities: undefined,
  load: async () => {
    const { RedisStateStore } = await import('./redis-store.js');
    return (config, deps) => new RedisStateStore(config, deps.executor);
  },
};

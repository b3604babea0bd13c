import type { RuntimeDefinition } from '../../../ports/adapter-definition.js';
import { envMapSecrets } from '../../../config/parts/secret-policy.js';
import { PM2_RUNTIME_TYPE, pm2RuntimeSchema, type Pm2RuntimeConfig } from './pm2-config.js';

/** PM2 through its programmatic API, loaded from the user's own install (pm2-loader.ts). */
export const pm2RuntimeDefinition: RuntimeDefinition<Pm2RuntimeConfig> = {
  kind: 'runtime',
  name: PM2_RUNTIME_TYPE,
  type: PM2_RUNTIME_TYPE,
  configSchema: pm2RuntimeSchema,
  resolvePaths(config, at) {
    if (config.pm2Home) config.pm2Home = at.abs(config.pm2Home);
  },
  secrets: (config) => envMapSecrets(config.env),
  // One PM2 app per slot: <name>-blue and <name>-green.
  capabilities: { runsSlots: true },
  load: async () => {
    const { Pm2Runtime } = await import('./pm2-runtime.js');
    return (config, deps) => new Pm2Runtime(config, deps.executor);
  },
};

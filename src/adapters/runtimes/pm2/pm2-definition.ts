import type { RuntimeDefinition } from '../../../ports/adapter-definition.js';
import { envMapSecrets } from '../../../config/parts/secret-policy.js';
import { PM2_RUNTIME_TYPE, pm2RuntimeSchema, type Pm2RuntimeConfig } from './pm2-config.js';

/** PM2 through its programmatic API, loaded from the user's own install (pm2-loader.ts); on a fleet's hosts, through the `pm2` command line (pm2-cli-runtime.ts). */
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
    const [{ Pm2Runtime }, { Pm2CliRuntime }] = await Promise.all([import('./pm2-runtime.js'), import('./pm2-cli-runtime.js')]);
    // PM2's API reaches only this machine's daemon: on a fleet's host, PM2 is driven through its command line over ssh.
    return (config, deps) => (deps.remote ? new Pm2CliRuntime(config, deps.executor) : new Pm2Runtime(config, deps.executor));
  },
};

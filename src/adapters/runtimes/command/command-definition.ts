import type { RuntimeDefinition } from '../../../ports/adapter-definition.js';
import { COMMAND_RUNTIME_TYPE, commandRuntimeSchema, type CommandRuntimeConfig } from './command-config.js';

/** User-given argv arrays (systemd, supervisord, anything). */
export const commandRuntimeDefinition: RuntimeDefinition<CommandRuntimeConfig> = {
  kind: 'runtime',
  name: COMMAND_RUNTIME_TYPE,
  type: COMMAND_RUNTIME_TYPE,
  configSchema: commandRuntimeSchema,
  capabilities: {},
  load: async () => {
    const { CommandRuntime } = await import('./command-runtime.js');
    return (config, deps) => new CommandRuntime(config, deps.executor);
  },
};

import type { EnvironmentConfig, RuntimeConfig } from '../config/config-schema.js';
import type { Executor } from '../ports/executor.js';
import type { Runtime } from '../ports/runtime.js';
import type { Target } from '../ports/target.js';
import { registeredAdapter } from './registered-adapter.js';
import { CommandRuntime } from './runtimes/command/command-runtime.js';
import { Pm2Runtime } from './runtimes/pm2/pm2-runtime.js';
import { ReleasesTarget } from './targets/releases/releases-target.js';
import { SlottedReleasesTarget } from './targets/slotted-releases/slotted-releases-target.js';

type RuntimeFactory = (config: RuntimeConfig, executor: Executor) => Runtime;
type TargetFactory = (config: EnvironmentConfig['target'], runtime: Runtime) => Target;

/** Adapters registered by their `type`; config picks one, nothing branches on type strings elsewhere. */
const RUNTIMES: Record<RuntimeConfig['type'], RuntimeFactory> = {
  pm2: (config, executor) => new Pm2Runtime(config as Extract<RuntimeConfig, { type: 'pm2' }>, executor),
  command: (config, executor) => new CommandRuntime(config as Extract<RuntimeConfig, { type: 'command' }>, executor),
};

const TARGETS: Record<EnvironmentConfig['target']['type'], TargetFactory> = {
  releases: (config, runtime) => new ReleasesTarget(config.path, runtime),
};

export function createTarget(config: EnvironmentConfig, executor: Executor): Target {
  // Two warm slots behind a router (blue-green, canary); the schema allows them only with PM2.
  const { slots, runtime: runtimeConfig } = config.target;
  if (slots && runtimeConfig.type === 'pm2') return SlottedReleasesTarget.forPm2(config.target.path, slots, runtimeConfig, executor);
  const runtime = registeredAdapter(RUNTIMES, config.target.runtime.type, 'target.runtime.type')(config.target.runtime, executor);
  return registeredAdapter(TARGETS, config.target.type, 'target.type')(config.target, runtime);
}

import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { RAILWAY_TARGET_TYPE, railwayTargetSchema, type RailwayTargetConfig } from './railway-config.js';

/**
 * A Railway service in one environment: a release is one Railway deployment (by id, found at
 * register by id or by its commit). Activate waits for that deployment when Railway is still
 * building it, or brings it back with `deploymentRollback` (image and service variables restored);
 * the deployment picked is always the one recorded for the release, never "the previous one".
 */
export const railwayTargetDefinition: TargetDefinition<RailwayTargetConfig> = {
  kind: 'target',
  name: RAILWAY_TARGET_TYPE,
  type: RAILWAY_TARGET_TYPE,
  configSchema: railwayTargetSchema,
  resolvePaths(config, at) {
    config.stateDir = at.abs(config.stateDir ?? `rewind-railway/${at.env}`);
  },
  // Only the token's value is secret; the config holds its variable's name.
  secrets: (config) => {
    const token = process.env[config.tokenEnv];
    return token ? [token] : [];
  },
  // Deployments, not files: migrations cannot be read from a release here.
  releaseFiles: false,
  // deploymentRollback is Railway's own primitive.
  capabilities: { nativeRollback: true },
  load: async () => {
    const { RailwayTarget } = await import('./railway-target.js');
    return (config, deps) => new RailwayTarget(config as RailwayTargetConfig & { stateDir: string }, deps.capabilities);
  },
};

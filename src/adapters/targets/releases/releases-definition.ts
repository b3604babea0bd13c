import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { RELEASES_TARGET_TYPE, releasesTargetSchema, type ReleasesTargetConfig } from './releases-config.js';

/**
 * Capistrano-style releases on this machine (`releases/<version>/`, a `current` link), run by a
 * runtime (`runtime:`). With `slots:` the registry builds slotted-releases instead (listed before this).
 */
export const releasesTargetDefinition: TargetDefinition<ReleasesTargetConfig> = {
  kind: 'target',
  name: RELEASES_TARGET_TYPE,
  type: RELEASES_TARGET_TYPE,
  configSchema: releasesTargetSchema,
  resolvePaths(config, at) {
    config.path = at.abs(config.path);
  },
  // zeroDowntimeReload is the runtime's (ReleasesTarget reads it from there).
  capabilities: { atomicSwitch: true },
  load: async () => {
    const { ReleasesTarget } = await import('./releases-target.js');
    return (config, deps) => new ReleasesTarget(config.path, deps.createRuntime(config.runtime), deps.capabilities);
  },
};

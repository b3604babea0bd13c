import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { COMPOSE_TARGET_TYPE, composeTargetSchema, type ComposeTargetConfig } from './compose-config.js';

/**
 * A Docker Compose stack: releases are images pinned by digest, `up -d` runs the services a release
 * changes. No runtime (Docker runs the containers) and no release files on this machine.
 */
export const composeTargetDefinition: TargetDefinition<ComposeTargetConfig> = {
  kind: 'target',
  name: COMPOSE_TARGET_TYPE,
  type: COMPOSE_TARGET_TYPE,
  configSchema: composeTargetSchema,
  resolvePaths(config, at) {
    config.files = config.files.map((file) => at.abs(file));
    config.stateDir = at.abs(config.stateDir ?? `rewind-compose/${at.env}`);
  },
  // Images, not files: migrations cannot be read from a release here (docs/config.md, Docker Compose).
  releaseFiles: false,
  // `up -d` recreates a changed container: requests to it are dropped meanwhile (the default, false).
  capabilities: {},
  load: async () => {
    const { ComposeTarget } = await import('./compose-target.js');
    return (config, deps) => new ComposeTarget(config as ComposeTargetConfig & { stateDir: string }, deps.executor, deps.capabilities);
  },
};

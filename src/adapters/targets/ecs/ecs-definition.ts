import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { ECS_TARGET_TYPE, ecsTargetSchema, type EcsServiceConfig, type EcsTargetConfig } from './ecs-config.js';

/**
 * An AWS ECS service: a release is one task definition revision (family:revision) with its images
 * by digest; activate is UpdateService and a wait like `aws ecs wait services-stable` that also
 * checks the PRIMARY deployment runs the revision asked for. No runtime and no release files here.
 */
export const ecsTargetDefinition: TargetDefinition<EcsTargetConfig> = {
  kind: 'target',
  name: ECS_TARGET_TYPE,
  type: ECS_TARGET_TYPE,
  configSchema: ecsTargetSchema,
  resolvePaths(config, at) {
    config.stateDir = at.abs(config.stateDir ?? `rewind-ecs/${at.env}`);
  },
  // Task definitions, not files: migrations cannot be read from a release here.
  releaseFiles: false,
  // Nothing declared: whether a rolling update drops requests depends on the service's own
  // minimumHealthyPercent and load balancer draining, which rewind does not read.
  capabilities: {},
  load: async () => {
    const { EcsTarget } = await import('./ecs-target.js');
    // `slots:` goes to slotted-ecs-definition.ts (first in the registry), so `service` is set here.
    return (config) => new EcsTarget(config as EcsServiceConfig);
  },
};

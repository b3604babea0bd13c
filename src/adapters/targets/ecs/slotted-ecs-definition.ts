import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { ECS_TARGET_TYPE, ecsHasSlots, ecsTargetSchema, type EcsTargetConfig } from './ecs-config.js';

/** The registry's name for the ecs target with `slots:` (its config keeps `type: ecs`). */
export const SLOTTED_ECS_NAME = 'slotted-ecs';

/**
 * Two ECS services behind an ALB listener (blue-green): the ecs target's config with `slots:`. The
 * idle service is rolled to the new release while the other keeps running the previous one, so it
 * stays warm and a rollback is a listener switch (the alb router, the only one that fronts these slots).
 */
export const slottedEcsTargetDefinition: TargetDefinition<EcsTargetConfig> = {
  kind: 'target',
  name: SLOTTED_ECS_NAME,
  type: ECS_TARGET_TYPE,
  matches: ecsHasSlots,
  configSchema: ecsTargetSchema,
  resolvePaths(config, at) {
    config.stateDir = at.abs(config.stateDir ?? `rewind-ecs/${at.env}`);
  },
  releaseFiles: false,
  // The switch is one ModifyListener; the previous release keeps running on the other service.
  // zeroDowntimeReload: an ALB applies a new forward action to new requests and closes no connection.
  capabilities: { atomicSwitch: true, keepsPreviousWarm: true, trafficSplit: true, zeroDowntimeReload: true },
  load: async () => {
    const { SlottedEcsTarget } = await import('./slotted-ecs-target.js');
    return (config, deps) => new SlottedEcsTarget(config as EcsTargetConfig & { stateDir: string }, deps.capabilities);
  },
};

import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { releasesTargetSchema, RELEASES_TARGET_TYPE, type ReleasesTargetConfig } from '../releases/releases-config.js';
import { hasSlots, SLOTTED_RELEASES_NAME } from './slotted-releases-name.js';

/**
 * The releases layout with two warm slots behind a router (blue-green, canary). Its config is the
 * releases target's with `slots:` (so rewind.yaml keeps `type: releases`); the schema lets slots run
 * only under a runtime whose definition declares `runsSlots`.
 */
export const slottedReleasesTargetDefinition: TargetDefinition<ReleasesTargetConfig> = {
  kind: 'target',
  name: SLOTTED_RELEASES_NAME,
  type: RELEASES_TARGET_TYPE,
  matches: hasSlots,
  configSchema: releasesTargetSchema,
  resolvePaths(config, at) {
    config.path = at.abs(config.path);
  },
  capabilities: { atomicSwitch: true, keepsPreviousWarm: true, trafficSplit: true, zeroDowntimeReload: true },
  load: async () => {
    const { SlottedReleasesTarget, slotRuntimeConfig } = await import('./slotted-releases-target.js');
    return (config, deps) => {
      const slots = config.slots!;
      const runtime = config.runtime as Extract<ReleasesTargetConfig['runtime'], { name: string }>;
      return new SlottedReleasesTarget(
        config.path,
        slots,
        { blue: deps.createRuntime(slotRuntimeConfig(runtime, slots, 'blue')), green: deps.createRuntime(slotRuntimeConfig(runtime, slots, 'green')) },
        deps.capabilities,
      );
    };
  },
};

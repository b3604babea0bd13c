import type { TargetDefinition } from '../../../ports/adapter-definition.js';
import { RELEASES_TARGET_TYPE, releasesTargetSchema, type ReleasesTargetConfig } from '../releases/releases-config.js';
import { hostName } from './fleet-config.js';
import { hasHosts, SSH_FLEET_NAME } from './ssh-fleet-name.js';

/**
 * The releases layout on N hosts over SSH (Capistrano's `server` list, Kamal's `servers:`). Its
 * config is the releases target's with `hosts:` and `ssh:` (releases-config.ts, fleet-config.ts), so
 * rewind.yaml keeps `type: releases`, `path`, `keep` and `runtime`; `path` is on the hosts.
 */
export const sshFleetTargetDefinition: TargetDefinition<ReleasesTargetConfig> = {
  kind: 'target',
  name: SSH_FLEET_NAME,
  type: RELEASES_TARGET_TYPE,
  matches: hasHosts,
  configSchema: releasesTargetSchema,
  resolvePaths(config, at) {
    // `path` is a directory on the hosts (absolute, checked by the schema): not resolved here. The key files are on this machine.
    // A path starting with ~ is left to ssh, which expands it to the home directory.
    const abs = (path: string) => (path.startsWith('~') ? path : at.abs(path));
    if (config.ssh) {
      config.ssh.knownHosts = abs(config.ssh.knownHosts);
      if (config.ssh.identityFile) config.ssh.identityFile = abs(config.ssh.identityFile);
    }
  },
  // Each host switches atomically, the fleet does not: hosts switch a batch at a time.
  capabilities: {},
  load: async () => {
    const { SshFleetTarget } = await import('./ssh-fleet-target.js');
    const { fleetRolloutSchema } = await import('./fleet-config.js');
    return (config, deps) =>
      new SshFleetTarget(
        {
          hosts: config.hosts!.map((host) => ({
            name: hostName(host),
            address: host.host,
            port: host.port,
            user: host.user ?? config.ssh!.user,
            root: host.path ?? config.path,
            healthUrl: host.healthUrl,
          })),
          ssh: config.ssh!,
          rollout: config.rollout ?? fleetRolloutSchema.parse({}),
          runtimeOn: (executor) => deps.createRuntime(config.runtime, executor),
          status: config.runtime.type === 'command' ? config.runtime.status : undefined,
          executor: deps.executor,
        },
        deps.capabilities,
      );
  },
};

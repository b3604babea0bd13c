/** The registry's name for the releases target with `hosts:` (its config keeps `type: releases`). */
export const SSH_FLEET_NAME = 'ssh-fleet';

/** Whether a releases target's config (validated or not) is a fleet of hosts: zod-free, for the registry and status. */
export const hasHosts = (target: { hosts?: unknown }): boolean => target.hosts !== undefined;

import * as z from 'zod';
import { runtimeSchema } from '../../runtimes/runtime-config.js';
import { slotsSchema } from '../slotted-releases/slots-config.js';
import { fleetHostsSchema, fleetRolloutSchema, fleetSshSchema } from '../ssh-fleet/fleet-config.js';

export const RELEASES_TARGET_TYPE = 'releases';

export const releasesTargetSchema = z.strictObject({
  type: z.literal(RELEASES_TARGET_TYPE),
  path: z.string().min(1).describe('Deploy root: holds releases/<version>/ and the `current` symlink.'),
  keep: z.number().int().min(1).default(5).describe('Release directories kept; the current, the LKG, any in use and any a slot runs are never pruned.'),
  runtime: runtimeSchema,
  slots: slotsSchema
    .optional()
    .describe('Run releases in two warm slots (PM2 apps <name>-blue and <name>-green) behind a traffic router; needed by `traffic:` (blue-green and canary).'),
  hosts: fleetHostsSchema.optional().describe('Deploy to these hosts over SSH instead of this machine (the ssh-fleet target): `path` is then on every host, and `runtime` runs there.'),
  ssh: fleetSshSchema.optional().describe('How rewind reaches `hosts` (OpenSSH client): known_hosts, key, user, timeouts.'),
  rollout: fleetRolloutSchema.optional().describe('With `hosts`: how many hosts switch at a time (default one), and the per-host health gate between batches.'),
})
  // The fleet keys (ssh-fleet/fleet-config.ts) only make sense together, and not with slots.
  .refine((t) => t.hosts === undefined || t.ssh !== undefined, { message: 'hosts needs ssh: at least ssh.knownHosts, the file host keys are verified against', path: ['ssh'] })
  .refine((t) => t.hosts === undefined || t.path.startsWith('/'), { message: 'with hosts, path is a directory on every host: give it as an absolute path', path: ['path'] })
  .refine((t) => t.hosts === undefined || t.slots === undefined, { message: 'slots run on this machine; a fleet of hosts has none', path: ['slots'] })
  .refine((t) => t.hosts === undefined || t.runtime.type === 'command', { message: 'on hosts, the runtime runs over ssh: use runtime type command (its argv runs on each host)', path: ['runtime', 'type'] })
  .refine((t) => (t.ssh === undefined && t.rollout === undefined) || t.hosts !== undefined, { message: 'ssh and rollout settings need hosts: list the hosts under hosts', path: ['hosts'] });

export type ReleasesTargetConfig = z.infer<typeof releasesTargetSchema>;

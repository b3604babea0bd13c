import * as z from 'zod';
import { envMapSecrets } from '../../../config/parts/secret-policy.js';
import { runtimeSchema, type RuntimeConfig } from '../../runtimes/runtime-config.js';
import { slotsSchema } from '../slotted-releases/slots-config.js';
import { fleetHostsSchema, fleetRolloutSchema, fleetSshSchema } from '../ssh-fleet/fleet-config.js';

export const RELEASES_TARGET_TYPE = 'releases';

/** The runtimes a fleet can run on its hosts: both drive the host through argv over ssh. */
const HOST_RUNTIMES: ReadonlySet<string> = new Set(['command', 'pm2']);

/**
 * What a pm2 runtime cannot mean where it runs. On hosts, PM2 is driven through its command line
 * over ssh (pm2-cli-runtime.ts): PM2_HOME is a directory there, and the app's env reaches the host
 * on a command line, where a secret must not go (the same rule as the command runtime's env on hosts).
 * On this machine, PM2's API is used and `bin` means nothing.
 */
function pm2RuntimeIssues(t: { hosts?: unknown; runtime: RuntimeConfig }): { message: string; path: (string | number)[] }[] {
  const runtime = t.runtime;
  if (runtime.type !== 'pm2') return [];
  if (t.hosts === undefined) {
    return runtime.bin === undefined ? [] : [{ message: 'bin is the pm2 command on hosts; on this machine rewind drives PM2 through its API (remove bin, or list the hosts under hosts)', path: ['runtime', 'bin'] }];
  }
  const issues: { message: string; path: (string | number)[] }[] = [];
  if (runtime.pm2Home !== undefined && !runtime.pm2Home.startsWith('/')) issues.push({ message: 'with hosts, pm2Home is a directory on every host: give it as an absolute path (or leave it out for the login user\'s ~/.pm2)', path: ['runtime', 'pm2Home'] });
  for (const [key, value] of Object.entries(runtime.env)) {
    if (envMapSecrets({ [key]: value }).length > 0) {
      issues.push({ message: `with hosts, runtime.env reaches each host on an ssh command line, where rewind sends no secret: set ${key} on the hosts themselves (the login environment, or a file the app reads)`, path: ['runtime', 'env', key] });
    }
  }
  return issues;
}

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
  .refine((t) => t.hosts === undefined || HOST_RUNTIMES.has(t.runtime.type), { message: 'on hosts, the runtime runs over ssh: use runtime type command (its argv runs on each host) or pm2 (the pm2 command line on each host)', path: ['runtime', 'type'] })
  .superRefine((t, context) => {
    for (const issue of pm2RuntimeIssues(t)) context.addIssue({ code: 'custom', ...issue });
  })
  .refine((t) => (t.ssh === undefined && t.rollout === undefined) || t.hosts !== undefined, { message: 'ssh and rollout settings need hosts: list the hosts under hosts', path: ['hosts'] });

export type ReleasesTargetConfig = z.infer<typeof releasesTargetSchema>;

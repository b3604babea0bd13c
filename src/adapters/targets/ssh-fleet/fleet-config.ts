import * as z from 'zod';
import { port, positiveMs } from '../../../config/parts/schema-parts.js';

// The keys that turn a releases target into a fleet: `hosts:` (Capistrano's `server`, Kamal's
// `servers:`), `ssh:` (how to reach them) and `rollout:` (Kamal's `boot: limit:`). They live on the
// releases target's schema (releases-config.ts), so rewind.yaml keeps `type: releases` and the same
// `path`, `keep` and `runtime`; with `hosts:` the registry builds the ssh-fleet target instead.

const hostSchema = z.strictObject({
  host: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._:-]+$/, 'a host name or IP address')
    .describe('Address ssh connects to (a name resolved by the system, or an IP).'),
  port: port.default(22).describe('sshd port.'),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, 'a user name').optional().describe('Login user (default: `ssh.user`, else ssh\'s own default).'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, 'letters, digits, ".", "_", ":" and "-" only')
    .optional()
    .describe('How reports, events and the ledger name the host (default: `host`, or `host:port` when the port is not 22). Unique.'),
  path: z.string().startsWith('/', 'an absolute path on the host').optional().describe("This host's deploy root when it differs from the target's `path` (several hosts on one machine, as in rewind's tests)."),
  healthUrl: z.url({ protocol: /^https?$/ }).optional().describe('Probed on this host after it switches, before the next batch (overrides `rollout.healthUrl`).'),
});

export const fleetHostsSchema = z
  .array(hostSchema)
  .min(1)
  .refine((hosts) => new Set(hosts.map(hostName)).size === hosts.length, 'every host needs a distinct name (give `name:` to hosts that share an address and port)');

export const fleetSshSchema = z.strictObject({
  knownHosts: z.string().min(1).describe('known_hosts file every host key is verified against (relative to the config file). Required: there is no trust-on-first-use unless `hostKeyPolicy: accept-new`.'),
  hostKeyPolicy: z
    .enum(['strict', 'accept-new'])
    .default('strict')
    .describe('strict: a host whose key is not in `knownHosts` is refused (StrictHostKeyChecking=yes). accept-new: a host not listed yet is added on first contact; a changed key is still refused.'),
  identityFile: z.string().min(1).optional().describe('Private key file (relative to the config file). Absent: the keys of the ssh agent (SSH_AUTH_SOCK). Never a password.'),
  user: z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, 'a user name').optional().describe('Login user of hosts that name none.'),
  connectTimeoutSec: z.number().int().min(1).max(300).default(10).describe('How long to wait for a host to answer (ssh ConnectTimeout).'),
  commandTimeoutMs: positiveMs.default(120_000).describe('Longest a remote command (unpack, restart) may take.'),
});

export const fleetRolloutSchema = z.strictObject({
  batch: z
    .union([z.number().int().min(1), z.string().regex(/^(100|[1-9][0-9]?)%$/, 'a percentage of the hosts, e.g. "25%"')])
    .default(1)
    .describe('Hosts switched and restarted at a time: a count (1 = one host at a time), or a percentage of the hosts rounded up ("25%").'),
  healthUrl: z
    .string()
    .regex(/^https?:\/\//, 'an http:// or https:// URL')
    .optional()
    .describe('URL template probed on each host after it switches, before the next batch: {host} and {name} are substituted (e.g. http://{host}:3000/health). Absent: the batch is judged by the runtime alone.'),
  healthTimeoutMs: z.number().int().min(100).default(30_000).describe('How long a host may take to answer its health URL with a 2xx.'),
});

export type FleetHostConfig = z.infer<typeof hostSchema>;
export type FleetSshConfig = z.infer<typeof fleetSshSchema>;
export type FleetRolloutConfig = z.infer<typeof fleetRolloutSchema>;

/** A host's name in reports: its `name`, else `host`, with `:port` when not 22. */
export function hostName(host: { host: string; port?: number; name?: string }): string {
  return host.name ?? (host.port === undefined || host.port === 22 ? host.host : `${host.host}:${host.port}`);
}

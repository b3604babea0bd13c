import { describe, expect, it } from 'vitest';
import { releasesTargetSchema } from '../releases/releases-config.js';
import { TARGETS } from '../../registry.js';
import { fleetRolloutSchema } from './fleet-config.js';
import { SshConnection } from './ssh-connection.js';

const runtime = { type: 'command', start: ['systemctl', 'start', 'shop'], reload: ['systemctl', 'restart', 'shop'] };
const fleet = (extra: Record<string, unknown> = {}) => ({ type: 'releases', path: '/srv/shop', runtime, hosts: [{ host: 'web1' }, { host: '10.0.0.2', port: 2222 }], ssh: { knownHosts: '/etc/rewind/known_hosts' }, ...extra });
const issues = (config: unknown) => {
  const result = releasesTargetSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the fleet keys of the releases target', () => {
  it('accepts hosts with ssh settings, and the registry builds ssh-fleet for them (plain releases otherwise)', () => {
    const config = releasesTargetSchema.parse(fleet({ rollout: { batch: '25%' } }));
    expect(config.ssh).toMatchObject({ hostKeyPolicy: 'strict', connectTimeoutSec: 10 });
    expect(config.hosts!.map((h) => h.port)).toEqual([22, 2222]);
    const chosen = (c: unknown) => TARGETS.filter((d) => d.type === 'releases').find((d) => !d.matches || d.matches(c))!.name;
    expect(chosen(config)).toBe('ssh-fleet');
    expect(chosen(releasesTargetSchema.parse({ type: 'releases', path: './srv', runtime }))).toBe('releases');
  });

  it('accepts pm2 on hosts (its command line runs there), and refuses the pm2 settings that cannot work there', () => {
    const pm2 = { type: 'pm2', name: 'shop', bin: '/usr/local/bin/pm2', pm2Home: '/home/deploy/.pm2', env: { NODE_ENV: 'production', PORT: '3000' } };
    expect(issues(fleet({ runtime: pm2 }))).toEqual([]);
    expect(issues(fleet({ runtime: { type: 'pm2', name: 'shop' } }))).toEqual([]);
    expect(issues(fleet({ runtime: { ...pm2, pm2Home: 'pm2-home' } }))).toEqual([expect.stringMatching(/^runtime.pm2Home: with hosts, pm2Home is a directory on every host: give it as an absolute path/)]);
    // A secret reaches no host on an ssh command line: by its key, or a URL's password.
    expect(issues(fleet({ runtime: { ...pm2, env: { API_TOKEN: 't0ps3cret', REDIS_URL: 'redis://:pw@cache:6379', PORT: '3000' } } }))).toEqual([
      expect.stringMatching(/^runtime.env.API_TOKEN: with hosts, runtime.env reaches each host on an ssh command line, where rewind sends no secret: set API_TOKEN on the hosts/),
      expect.stringMatching(/^runtime.env.REDIS_URL: .*set REDIS_URL on the hosts/),
    ]);
    // No message quotes the value.
    expect(issues(fleet({ runtime: { ...pm2, env: { API_TOKEN: 't0ps3cret' } } })).join(' ')).not.toContain('t0ps3cret');
    // bin is the command on hosts: on this machine PM2's API is used.
    expect(issues({ type: 'releases', path: './srv', runtime: { type: 'pm2', name: 'shop', bin: 'pm2' } })).toEqual([expect.stringMatching(/^runtime.bin: bin is the pm2 command on hosts/)]);
    expect(issues({ type: 'releases', path: './srv', runtime: { type: 'pm2', name: 'shop', pm2Home: 'pm2-home', env: { API_TOKEN: 'x' } } })).toEqual([]);
  });

  it('refuses what a fleet cannot mean: no known_hosts, a relative path, slots, duplicate names, a bad batch', () => {
    expect(issues(fleet({ ssh: undefined }))).toEqual([expect.stringMatching(/^ssh: hosts needs ssh/)]);
    expect(issues(fleet({ path: 'srv/shop' }))).toEqual([expect.stringMatching(/^path: with hosts, path is a directory on every host/)]);
    expect(issues(fleet({ slots: { blue: { port: 3001 }, green: { port: 3002 } } }))).toContainEqual(expect.stringMatching(/^slots: slots run on this machine/));
    expect(issues(fleet({ hosts: [{ host: 'web1' }, { host: 'web1' }] }))).toEqual([expect.stringMatching(/^hosts: every host needs a distinct name/)]);
    expect(issues(fleet({ hosts: [{ host: 'web1; rm -rf /' }] }))).toEqual([expect.stringMatching(/^hosts.0.host: a host name or IP address/)]);
    expect(issues({ type: 'releases', path: '/srv', runtime, ssh: { knownHosts: 'k' } })).toEqual([expect.stringMatching(/^hosts: ssh and rollout settings need hosts/)]);
    expect(fleetRolloutSchema.safeParse({ batch: '0%' }).success).toBe(false);
    expect(fleetRolloutSchema.safeParse({ batch: 0 }).success).toBe(false);
  });
});

describe('SshConnection argv (no host needed)', () => {
  const host = { name: 'web1', address: 'web1.example.com', port: 2222, user: 'deploy', root: '/srv/shop' };
  const ssh = { knownHosts: '/etc/rewind/known_hosts', hostKeyPolicy: 'strict' as const, connectTimeoutSec: 10, commandTimeoutMs: 1000 };
  const executor = { run: async () => ({ exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false }) };

  it('checks host keys against the configured file only, never prompts, and quotes the remote argv', () => {
    const argv = new SshConnection(host, ssh, '/tmp/c/h0', executor).commandArgv(['echo', "it's $HOME"]);
    expect(argv.slice(0, 1)).toEqual(['ssh']);
    for (const option of ['BatchMode=yes', 'PasswordAuthentication=no', 'StrictHostKeyChecking=yes', 'UserKnownHostsFile=/etc/rewind/known_hosts', 'GlobalKnownHostsFile=/dev/null', 'Port=2222', 'User=deploy', 'ControlPath=/tmp/c/h0', 'ControlMaster=no']) {
      expect(argv[argv.indexOf(option) - 1], option).toBe('-o');
    }
    expect(argv.slice(-3)).toEqual(['--', 'web1.example.com', `'echo' 'it'\\''s $HOME'`]);
    expect(argv.join(' ')).not.toContain('IdentityFile');
  });

  it('uploads with scp to host:path, an IPv6 address bracketed', () => {
    expect(new SshConnection(host, ssh, '/tmp/c/h0', executor).uploadArgv('/tmp/r.tgz', '/srv/shop/releases/.upload-1.tgz').slice(-2)).toEqual(['/tmp/r.tgz', 'web1.example.com:/srv/shop/releases/.upload-1.tgz']);
    expect(new SshConnection({ ...host, address: 'fd00::12' }, ssh, '/tmp/c/h0', executor).uploadArgv('/tmp/r.tgz', '/srv/x').at(-1)).toBe('[fd00::12]:/srv/x');
  });

  it('trusts on first use only when configured, and names the key file when one is given', () => {
    const argv = new SshConnection(host, { ...ssh, hostKeyPolicy: 'accept-new', identityFile: '/keys/deploy' }, '/tmp/c/h0', executor).commandArgv(['true']);
    expect(argv).toContain('StrictHostKeyChecking=accept-new');
    expect(argv).toContain('IdentityFile=/keys/deploy');
    expect(argv).toContain('IdentitiesOnly=yes');
  });
});

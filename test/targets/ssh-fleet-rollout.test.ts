import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostReport } from '../../src/adapters/targets/ssh-fleet/ssh-fleet-target.js';
import { artifactDigest } from '../../src/artifacts/artifact-digest.js';
import { buildSampleArtifact, freePort } from '../../src/demo/sample-artifacts.js';
import { answeringVersion } from '../support/app-releases.js';
import { SshFleet } from '../support/ssh-fleet.js';

// Rollouts and refusals of the ssh-fleet target against real sshd hosts on loopback (OpenSSH 9.2):
// what each host's app answers over HTTP and where each host's `current` points (read from its files)
// are asserted after every operation, not only what the target returned.

const onVersion = (version: string) => `releases/${version}`;

describe('ssh-fleet rollout, three hosts, one at a time', () => {
  let fleet: SshFleet;
  let proxy: Server;
  /** Set by a test: called once when web1's health is next probed (between batch 1 and batch 2). */
  let onWeb1Health: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    // web1's health URL goes through this proxy, so a test can act at the moment batch 1 is judged.
    const proxyPort = await freePort();
    proxy = createServer((request, response) => {
      void (async () => {
        const hook = onWeb1Health;
        onWeb1Health = null;
        if (hook) await hook();
        const version = await answeringVersion(fleet.hosts[0]!.appPort);
        response.writeHead(version ? 200 : 503).end(version ?? 'down');
      })();
    });
    await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
    fleet = await SshFleet.start({ hosts: 3, batch: 1, healthUrl: (host, i) => (i === 0 ? `http://127.0.0.1:${proxyPort}/health` : `http://127.0.0.1:${host.appPort}/health`) });
    for (const version of ['1.0.0', '2.0.0']) {
      const outcome = await fleet.target.prepare(await fleet.releases.artifact(version));
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
    }
    const first = await fleet.target.activate('1.0.0');
    expect(first, first.message).toMatchObject({ status: 'succeeded' });
  }, 60_000);

  afterAll(async () => {
    await fleet?.cleanup();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('switches every host a batch at a time and a rollback to the LKG goes to it on every host, reported per host', async () => {
    const up = await fleet.target.activate('2.0.0');
    expect(up, up.message).toMatchObject({ status: 'succeeded', detail: { batches: [['web1'], ['web2'], ['web3']] } });
    expect(await fleet.perHost()).toEqual(['2.0.0', '2.0.0', '2.0.0']);

    const news: { message: string; current?: number; total?: number }[] = [];
    fleet.ran.length = 0;
    const back = await fleet.target.activate('1.0.0', async (update) => void news.push(update));
    expect(back, back.message).toMatchObject({ status: 'succeeded' });
    // Two ssh sessions per host: one reads its state, one switches the link and runs the runtime's
    // status then reload there (three sessions before, one each). Each is a round trip on a real network.
    for (const host of fleet.hosts) {
      const sessions = fleet.ran.filter((argv) => argv[0] === 'ssh' && argv.includes('ControlMaster=no') && argv.includes(`Port=${host.sshd.port}`));
      expect(sessions.map((argv) => (argv.at(-1)!.includes('rewind-fleet-phase:') ? 'switch+activate' : argv.at(-1)!.includes('link:') ? 'state' : argv.at(-1)))).toEqual(['state', 'switch+activate']);
    }
    // Each batch is reported as it finishes (the runner turns these into step_progress events).
    expect(news).toEqual(['web1', 'web2', 'web3'].map((host, i) => ({ message: `batch ${i + 1}/3: ${host} on 1.0.0, healthy`, current: i + 1, total: 3 })));
    const hosts = back.detail!.hosts as HostReport[];
    expect(hosts.map(({ host, previous, status }) => ({ host, previous, status }))).toEqual(['web1', 'web2', 'web3'].map((host) => ({ host, previous: '2.0.0', status: 'switched' })));
    for (const host of ['web1', 'web2', 'web3']) expect(back.message).toContain(`${host} on 1.0.0, healthy`);
    expect(await fleet.perHost()).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(fleet.links()).toEqual(['1.0.0', '1.0.0', '1.0.0'].map(onVersion));
    expect(await fleet.target.activeVersion()).toBe('1.0.0');
    expect(await fleet.target.servedVersions()).toEqual(['web1', 'web2', 'web3'].map((where) => ({ version: '1.0.0', where })));
  });

  it('a host that goes down mid rollout stops it: the hosts already switched go back, the one down was never touched', async () => {
    const web3 = fleet.hosts[2]!;
    // Between batch 1 and batch 2 (as web1's health is judged), web3's sshd and its open connections go away.
    onWeb1Health = () => web3.sshd.down();
    const outcome = await fleet.target.activate('2.0.0');
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_FLEET_HOST_FAILED', unchanged: true });
    expect(outcome.message).toContain('web3');
    const hosts = outcome.detail!.hosts as HostReport[];
    expect(hosts.map(({ host, status, touched }) => ({ host, status, touched }))).toEqual([
      { host: 'web1', status: 'rolled back', touched: true },
      { host: 'web2', status: 'rolled back', touched: true },
      { host: 'web3', status: 'failed', touched: false },
    ]);
    expect(hosts[2]!.message).toMatch(/cannot reach web3/);
    // The world: every host serves 1.0.0 from a `current` on 1.0.0, web3 included (its app kept running).
    expect(await fleet.perHost()).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(fleet.links()).toEqual(['1.0.0', '1.0.0', '1.0.0'].map(onVersion));

    // While web3 is down the fleet refuses to say what it runs; once it is back, it agrees again.
    await expect(fleet.target.activeVersion()).rejects.toMatchObject({ code: 'REWIND_E_SSH_UNREACHABLE' });
    await web3.sshd.up();
    expect(await fleet.target.activeVersion()).toBe('1.0.0');
  });

  it('a release whose app dies at boot fails on the first host in the session that switched its link: that host is put back (link and app), the others are never touched', async () => {
    // The sample app, with a server.js that exits at once: app-ctl's reload (stop, start, wait until it listens) fails.
    const dir = await buildSampleArtifact(join(fleet.dir, 'crashing'), { version: '3.0.0' });
    await writeFile(join(dir, 'server.js'), "console.error('boom: no config'); process.exit(3);\n");
    const prepared = await fleet.target.prepare({ version: '3.0.0', artifact: dir, digest: await artifactDigest(dir) });
    expect(prepared, prepared.message).toMatchObject({ status: 'succeeded' });

    const outcome = await fleet.target.activate('3.0.0');
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_FLEET_HOST_FAILED', unchanged: true });
    const hosts = outcome.detail!.hosts as HostReport[];
    expect(hosts.map(({ host, status, touched }) => ({ host, status, touched }))).toEqual([
      { host: 'web1', status: 'rolled back', touched: true },
      { host: 'web2', status: 'not reached', touched: false },
      { host: 'web3', status: 'not reached', touched: false },
    ]);
    // What failed is the runtime's reload (its own stderr), not the link; the script's progress lines are not part of it.
    expect(hosts[0]!.message).toMatch(/^reload exited 1: .*app did not start listening.*; back on 1\.0\.0$/s);
    expect(outcome.message).not.toContain('rewind-fleet-phase');
    expect(fleet.links()).toEqual(['1.0.0', '1.0.0', '1.0.0'].map(onVersion));
    expect(await fleet.perHost()).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  });

  it('plans and messages name hosts, files and commands, never key material', async () => {
    const key = readFileSync(fleet.config.ssh!.identityFile!, 'utf8');
    const secretLine = key.split('\n')[1]!;
    expect(secretLine.length).toBeGreaterThan(20);
    const text = JSON.stringify([fleet.target.describePrepare(await fleet.releases.artifact('2.0.0')), fleet.target.describeActivate('2.0.0')]);
    expect(text).toContain('StrictHostKeyChecking=yes');
    expect(text).toContain('BatchMode=yes');
    expect(text).not.toContain(secretLine);
    expect(text).not.toMatch(/PRIVATE KEY/);
  });
});

describe('ssh-fleet refusals before anything changes on any host', () => {
  it('a host whose key is not the one in known_hosts: REWIND_E_SSH_HOST_KEY naming it, no host touched', async () => {
    const fleet = await SshFleet.start({
      hosts: 2,
      // web2 is listed with another key: a changed host key, or a machine in its place.
      knownHosts: (hosts) => {
        const other = join(hosts[1]!.sshd.root, 'other');
        spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
        const otherKey = readFileSync(`${other}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
        return `${hosts[0]!.sshd.knownHostsLine}\n[127.0.0.1]:${hosts[1]!.sshd.port} ${otherKey}\n`;
      },
    });
    try {
      for (const attempt of [() => fleet.target.prepare({ version: '1.0.0', artifact: '/nonexistent', digest: 'sha256:x' }), () => fleet.target.activate('1.0.0')]) {
        const outcome = await attempt();
        expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_SSH_HOST_KEY', unchanged: true });
        expect(outcome.message).toContain('web2');
        expect(outcome.message).toContain('nothing was changed on any host');
      }
      // web1, whose key is right, was not touched either: no releases/ made, no link.
      for (const host of fleet.hosts) expect(existsSync(join(host.root, 'releases'))).toBe(false);
      expect(fleet.links()).toEqual([null, null]);
    } finally {
      await fleet.cleanup();
    }
  });

  it('a host not in known_hosts is refused under the default policy, and trusted on first use only with hostKeyPolicy accept-new', async () => {
    const strict = await SshFleet.start({ hosts: 1, knownHosts: () => '' });
    try {
      const outcome = await strict.target.activate('1.0.0');
      expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_SSH_HOST_KEY', unchanged: true });
      expect(outcome.message).toMatch(/host key of web1 .*is not the one in known_hosts: .*No ED25519 host key is known/);
      expect(readFileSync(strict.config.ssh!.knownHosts, 'utf8')).toBe('');
    } finally {
      await strict.cleanup();
    }
    const tofu = await SshFleet.start({ hosts: 1, knownHosts: () => '', hostKeyPolicy: 'accept-new' });
    try {
      expect(await tofu.target.installedVersions()).toEqual([]);
      // The key it met is now recorded: from here on it is checked like any other.
      expect(readFileSync(tofu.config.ssh!.knownHosts, 'utf8')).toContain(tofu.hosts[0]!.sshd.hostKey);
    } finally {
      await tofu.cleanup();
    }
  });

  it('a host with nothing listening: REWIND_E_SSH_UNREACHABLE naming it, no host touched', async () => {
    const fleet = await SshFleet.start({ hosts: 1, unreachable: true });
    try {
      const outcome = await fleet.target.prepare(await fleet.releases.artifact('1.0.0'));
      expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_SSH_UNREACHABLE', unchanged: true });
      expect(outcome.message).toMatch(/cannot reach down1 \(127\.0\.0\.1 port \d+\) over ssh: .*refused/);
      expect(existsSync(join(fleet.hosts[0]!.root, 'releases'))).toBe(false);
    } finally {
      await fleet.cleanup();
    }
  });
});

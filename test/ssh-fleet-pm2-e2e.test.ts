import { readlinkSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { pm2List } from './support/pm2-cli-homes.js';
import { runCli, type CliResult } from './support/sandbox.js';
import { SshFleet } from './support/ssh-fleet.js';

// The fleet with `runtime: { type: pm2 }` through the built CLI: on each of two real sshd hosts the
// real `pm2` command line (each host its own PM2_HOME, the app's PORT in its login environment)
// runs the sample app. Both hosts switch in one batch; a release whose health fails is put back on
// both, by pm2 there. After each step, what PM2 itself says (`pm2 jlist` of each host's daemon, and
// the working directory of the process it names), each host's `current` and its app's /health agree.

const ENV = 'staging';

describe('ssh-fleet with PM2 on the hosts, end to end: deploys, and the automatic rollback of a release that fails its health (CLI, two real sshd hosts)', () => {
  let fleet: SshFleet;
  let configPath: string;
  let ledger: Ledger;
  const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--config', configPath], 120_000);
  /** Per host: the pid of its `shop` process under PM2 (online), after checking that it runs `version` in every way one can look. */
  const expectFleetOn = async (version: string): Promise<number[]> => {
    expect((await ledger.getEnvironment(ENV))?.currentVersion).toBe(version);
    expect(fleet.links()).toEqual(fleet.hosts.map(() => `releases/${version}`));
    expect(await fleet.perHost()).toEqual(fleet.hosts.map(() => version));
    return fleet.hosts.map((host) => {
      const apps = pm2List(host.pm2Home);
      expect(apps.map((a) => [a.name, a.pm2_env.status])).toEqual([['shop', 'online']]);
      // PM2 keeps the link as the app's cwd; the process runs from what it resolved to when it started.
      expect(apps[0]!.pm2_env.pm_cwd).toBe(join(host.root, 'current'));
      expect(readlinkSync(`/proc/${apps[0]!.pid}/cwd`)).toBe(realpathSync(join(host.root, 'releases', version)));
      return apps[0]!.pid;
    });
  };

  beforeAll(async () => {
    fleet = await SshFleet.start({ hosts: 2, batch: 2, runtime: 'pm2' });
    configPath = join(fleet.dir, 'rewind.yaml');
    const config = { version: 1, ledger: join(fleet.dir, 'rewind.db'), log: { file: join(fleet.dir, 'rewind-events.log') }, environments: { [ENV]: { target: fleet.rawTarget } } };
    await writeFile(configPath, JSON.stringify(config, null, 2));
    for (const [version, fault] of [['1.0.0'], ['2.0.0'], ['3.0.0', { health: 'fail' as const }]] as const) {
      const artifact = await buildSampleArtifact(join(fleet.dir, 'artifacts'), { version, fault });
      const registered = await cli('release', 'register', ENV, version, '--artifact', artifact, '--ci', 'passed');
      expect(registered.code, registered.stderr).toBe(0);
    }
    ledger = await openLedger(join(fleet.dir, 'rewind.db'));
  }, 120_000);

  afterAll(async () => {
    await ledger?.close();
    await fleet?.cleanup();
  });

  it('deploys under pm2 on every host, and a release failing its health is put back on both hosts by pm2', async () => {
    const plan = await cli('deploy', ENV, '1.0.0', '--dry-run');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('startOrReload');
    expect(fleet.hosts.map((h) => pm2List(h.pm2Home))).toEqual([[], []]);

    for (const version of ['1.0.0', '2.0.0']) {
      const deployed = await cli('deploy', ENV, version);
      expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
      await expectFleetOn(version);
    }
    const before = await expectFleetOn('2.0.0');

    const broken = await cli('deploy', ENV, '3.0.0', '--json');
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toContain('REWIND_E_FLEET_HOST_FAILED');
    expect(broken.stdout).toMatch(/web1: unhealthy/);
    expect(broken.stdout).toMatch(/web1 rolled back, web2 rolled back/);
    // 2.0.0 runs again on each host, in processes pm2 started for it again (3.0.0's came in between).
    const after = await expectFleetOn('2.0.0');
    after.forEach((pid, i) => expect(pid).not.toBe(before[i]));

    // status asks each host's pm2 processes (over ssh): one process per host, on the release that runs again.
    const status = await cli('status', ENV, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ target: { link: '2.0.0', served: [{ version: '2.0.0', processes: 2 }] }, agreement: { agree: true } });
    // The journal of the failed deploy's activate step says what each host did.
    const [operation] = await ledger.listOperations(ENV, { limit: 1 });
    const activate = (await ledger.listSteps(operation!.id)).find((s) => s.stepId.startsWith('activate'));
    expect((activate?.detail as { hosts?: unknown } | undefined)?.hosts).toEqual([
      expect.objectContaining({ host: 'web1', previous: '2.0.0', status: 'rolled back' }),
      expect.objectContaining({ host: 'web2', previous: '2.0.0', status: 'rolled back' }),
    ]);
  }, 180_000);
});

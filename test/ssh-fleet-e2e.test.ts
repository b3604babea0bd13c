import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { runCli, type CliResult } from './support/sandbox.js';
import { SshFleet } from './support/ssh-fleet.js';

// The fleet through the built CLI and a SQLite ledger: deploys, a deploy whose first host fails its
// health (the fleet stays on the release it ran), and `rewind rollback` to the LKG on every host.
// After each: the ledger, each host's `current` and each host's app agree.

const ENV = 'staging';

describe('ssh-fleet end to end: deploy, a failed host, rollback (CLI, ledger, two real sshd hosts)', () => {
  let fleet: SshFleet;
  let configPath: string;
  let ledger: Ledger;
  const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--config', configPath], 120_000);
  const expectFleetOn = async (version: string) => {
    expect((await ledger.getEnvironment(ENV))?.currentVersion).toBe(version);
    expect(fleet.links()).toEqual(fleet.hosts.map(() => `releases/${version}`));
    expect(await fleet.perHost()).toEqual(fleet.hosts.map(() => version));
  };

  beforeAll(async () => {
    fleet = await SshFleet.start({ hosts: 2 });
    configPath = join(fleet.dir, 'rewind.yaml');
    // JSON is YAML: the config an operator would write, with the fleet target.
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

  it('deploys to every host; a release that fails its health on the first host leaves the fleet on the previous one; rollback goes to the LKG on every host, per host in the journal', async () => {
    for (const version of ['1.0.0', '2.0.0']) {
      const deployed = await cli('deploy', ENV, version);
      expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
      await expectFleetOn(version);
    }

    const broken = await cli('deploy', ENV, '3.0.0', '--json');
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toContain('REWIND_E_FLEET_HOST_FAILED');
    expect(broken.stdout).toMatch(/web1: unhealthy/);
    await expectFleetOn('2.0.0');

    const rolledBack = await cli('rollback', ENV, '--yes', '--json');
    expect(rolledBack.code, rolledBack.stdout + rolledBack.stderr).toBe(0);
    await expectFleetOn('1.0.0');
    // The journal of the rollback's activate step says what each host did.
    const [operation] = await ledger.listOperations(ENV, { limit: 1 });
    expect(operation?.kind).toBe('rollback');
    const activate = (await ledger.listSteps(operation!.id)).find((s) => s.stepId.startsWith('activate'));
    expect((activate?.detail as { hosts?: unknown } | undefined)?.hosts).toEqual([
      expect.objectContaining({ host: 'web1', previous: '2.0.0', status: 'switched' }),
      expect.objectContaining({ host: 'web2', previous: '2.0.0', status: 'switched' }),
    ]);
    // The live view heard of each host as its batch finished.
    expect(rolledBack.stdout).toMatch(/"event":"step_progress".*batch 1\/2: web1 on 1\.0\.0, healthy/);
    expect(rolledBack.stdout).toMatch(/"event":"step_progress".*batch 2\/2: web2 on 1\.0\.0, healthy/);
    // status asks the hosts (over ssh), not this machine: ledger, links and served processes agree.
    const status = await cli('status', ENV, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      target: { link: '1.0.0', served: [{ version: '1.0.0', processes: 2 }] },
      agreement: { agree: true },
    });
    // No key material in the ledger's events or the log.
    const key = readFileSync(fleet.config.ssh!.identityFile!, 'utf8').split('\n')[1]!;
    expect(readFileSync(join(fleet.dir, 'rewind-events.log'), 'utf8')).not.toContain(key);
    expect(rolledBack.stdout).not.toContain(key);
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { spawnSync } from 'node:child_process';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

const CTL = join(import.meta.dirname, 'fixtures', 'app-ctl.mjs');

// The `command` runtime stands in for systemd and friends: user-given argv arrays, no shell.
describe('releases target with the command runtime (real processes)', () => {
  let sandbox: Sandbox;
  let pidfile: string;

  beforeAll(async () => {
    const argv = (action: string, root: string, port: number) =>
      JSON.stringify([process.execPath, CTL, action, join(root, 'app.pid'), '{current_dir}', String(port)]);
    sandbox = await createSandbox({
      runtimeYaml: (root, port) => `        type: command
        start: ${argv('start', root, port)}
        reload: ${argv('reload', root, port)}
        stop: ${argv('stop', root, port)}
        status: ${argv('status', root, port)}
        timeoutMs: 10000`,
    });
    pidfile = join(sandbox.root, 'app.pid');
    await sandbox.release('2.0.0');
    await sandbox.release('2.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => {
    spawnSync(process.execPath, [CTL, 'stop', pidfile, sandbox.root, String(sandbox.port)]);
    await sandbox?.close();
  });

  it('prints the exact argv in the dry-run plan, placeholders substituted', async () => {
    const result = await sandbox.cli(['deploy', ENV, '2.0.0', '--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const { plan } = JSON.parse(result.stdout) as { plan: { steps: { id: string; commands: { argv: string[] }[] }[] } };
    const activate = plan.steps.find((s) => s.id === 'activate')!;
    expect(activate.commands.map((c) => c.argv)).toEqual([
      [process.execPath, CTL, 'status', pidfile, join(sandbox.root, 'srv', 'current'), String(sandbox.port)],
      [process.execPath, CTL, 'reload', pidfile, join(sandbox.root, 'srv', 'current'), String(sandbox.port)],
      [process.execPath, CTL, 'start', pidfile, join(sandbox.root, 'srv', 'current'), String(sandbox.port)],
    ]);
    expect(await sandbox.ledger.listOperations(ENV)).toEqual([]);
  });

  it('starts the first release, then rolls a broken one back with the user commands', async () => {
    expect((await deploy(sandbox.services, ENV, '2.0.0')).ok).toBe(true);
    expect(await sandbox.served()).toEqual({ status: 200, version: '2.0.0' });
    const started = (await sandbox.ledger.listSteps((await sandbox.ledger.listOperations(ENV))[0]!.id)).find((s) => s.stepId === 'activate');
    expect(started?.detail).toMatchObject({ action: 'start' });

    const broken = await deploy(sandbox.services, ENV, '2.1.0');
    expect(broken.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(await sandbox.served()).toEqual({ status: 200, version: '2.0.0' });
    const rollbackActivate = (await sandbox.ledger.listSteps(broken.rollback!.operation!.id)).find((s) => s.stepId === 'activate');
    expect(rollbackActivate?.detail).toMatchObject({ action: 'reload', exitCode: 0 });
  });
});

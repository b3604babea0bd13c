import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, rollback } from '../src/core/operations.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

const CTL = join(import.meta.dirname, 'fixtures', 'app-ctl.mjs');

// keep: 2 — but the current release and the last known good release are never pruned, however old.
describe('release retention', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    const argv = (action: string, root: string, port: number) => JSON.stringify([process.execPath, CTL, action, join(root, 'app.pid'), '{current_dir}', String(port)]);
    sandbox = await createSandbox({
      runtimeYaml: (root, port) => `        type: command
        start: ${argv('start', root, port)}
        reload: ${argv('reload', root, port)}
        stop: ${argv('stop', root, port)}
        status: ${argv('status', root, port)}`,
    });
    sandbox.services.config.environments[ENV]!.target.keep = 2;
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) await sandbox.release(v);
  });
  afterAll(async () => {
    spawnSync(process.execPath, [CTL, 'stop', join(sandbox.root, 'app.pid'), sandbox.root, String(sandbox.port)]);
    await sandbox?.close();
  });

  const installed = async () => (await sandbox.services.createTarget(ENV, sandbox.services.config.environments[ENV]!).installedVersions()).sort();

  it('keeps the newest N by registration sequence and re-unpacks a pruned LKG on rollback', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect((await deploy(sandbox.services, ENV, v)).ok).toBe(true);
    expect(await installed()).toEqual(['1.1.0', '1.2.0']);

    // Rolling back to the pruned 1.0.0 unpacks it again from its registered artifact.
    const back = await rollback(sandbox.services, ENV, { to: '1.0.0' });
    expect(back.ok).toBe(true);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const prepare = (await sandbox.ledger.listSteps(back.operation!.id)).find((s) => s.stepId === 'prepare');
    expect(prepare?.detail).toMatchObject({ reused: false });
  });

  it('never prunes the last known good release, however old', async () => {
    // Now 1.0.0 is current and good, 1.2.0 was rolled back from. Deploying 1.3.0 makes 1.0.0 the LKG:
    // the newest two by sequence are 1.3.0 and 1.2.0, yet 1.0.0 must stay; 1.1.0 goes.
    expect((await deploy(sandbox.services, ENV, '1.3.0')).ok).toBe(true);
    expect((await sandbox.ledger.findLastKnownGood(ENV, '1.3.0'))?.version).toBe('1.0.0');
    expect(await installed()).toEqual(['1.0.0', '1.2.0', '1.3.0']);
    const ops = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    const prune = (await sandbox.ledger.listSteps(ops[0]!.id)).find((s) => s.stepId === 'prune');
    expect(prune?.detail).toMatchObject({ removed: ['1.1.0'] });
  });
});

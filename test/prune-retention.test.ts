import { spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { rollback } from '../src/core/operations/rollback.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

const CTL = join(import.meta.dirname, 'fixtures', 'app-ctl.mjs');

// keep: 2. Prune keeps releases that can be rolled back to (good, superseded) before failed and
// rolled-back ones, newest first within each, and never the current release or the last known good
// one, however old. The artifact store keeps the copies of what can still be deployed or rolled back
// to by the same policy, plus releases registered and not deployed yet; it drops the rest.
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
    await sandbox.release('1.4.0', { fault: { health: 'fail' } });
    await sandbox.release('1.5.0');
  });
  afterAll(async () => {
    spawnSync(process.execPath, [CTL, 'stop', join(sandbox.root, 'app.pid'), sandbox.root, String(sandbox.port)]);
    await sandbox?.close();
  });

  const installed = async () => (await sandbox.services.createTarget(ENV, sandbox.services.config.environments[ENV]!).installedVersions()).sort();
  /** The versions whose artifact the store holds (each sample release has its own content). */
  const stored = async () => {
    const versions: string[] = [];
    for (const name of await readdir(join(sandbox.root, 'rewind-artifacts', 'sha256'))) {
      if (name.startsWith('.')) continue;
      for (const release of await sandbox.ledger.findReleasesByDigest(`sha256:${name}`)) versions.push(release.version);
    }
    return versions.sort();
  };
  const lastPrune = async () => {
    const [op] = (await sandbox.ledger.listOperations(ENV, { limit: 5 })).filter((o) => o.kind === 'deploy' && o.state === 'succeeded');
    return (await sandbox.ledger.listSteps(op!.id)).find((s) => s.stepId === 'prune')!;
  };

  it('keeps the newest N good releases and their stored artifacts, and re-unpacks a pruned LKG on rollback', async () => {
    expect(await stored()).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0']);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect((await deploy(sandbox.services, ENV, v)).ok).toBe(true);
    expect(await installed()).toEqual(['1.1.0', '1.2.0']);
    const prune = await lastPrune();
    expect(prune.detail).toMatchObject({ removed: ['1.0.0'], reasons: { '1.0.0': 'beyond the newest 2 good' }, store: { dropped: [(await sandbox.ledger.getRelease(ENV, '1.0.0'))!.digest] } });
    // 1.1.0 and 1.2.0 are the newest two good; 1.3.0 to 1.5.0 are registered and not deployed yet.
    expect(await stored()).toEqual(['1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0']);

    // Rolling back to the pruned 1.0.0 unpacks it again: its stored copy was dropped, its build folder is still there.
    const back = await rollback(sandbox.services, ENV, { to: '1.0.0' });
    expect(back.ok).toBe(true);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const prepare = (await sandbox.ledger.listSteps(back.operation!.id)).find((s) => s.stepId === 'prepare');
    expect(prepare?.detail).toMatchObject({ reused: false, stored: false, source: join(sandbox.root, 'artifacts', 'sample-app-1.0.0') });
  });

  it('keeps a good release before a rolled-back one, and never the last known good, however old', async () => {
    // Now 1.0.0 is current and good, 1.2.0 was rolled back from. Deploying 1.3.0 makes 1.0.0 the LKG:
    // the two kept are 1.3.0 and 1.1.0 (good releases come first), 1.0.0 stays as LKG, and the
    // rolled-back 1.2.0 goes, though it is newer than both. Its stored copy goes too.
    expect((await deploy(sandbox.services, ENV, '1.3.0')).ok).toBe(true);
    expect((await sandbox.ledger.findLastKnownGood(ENV, '1.3.0'))?.version).toBe('1.0.0');
    expect(await installed()).toEqual(['1.0.0', '1.1.0', '1.3.0']);
    const prune = await lastPrune();
    expect(prune.detail).toMatchObject({
      removed: ['1.2.0'],
      reasons: { '1.2.0': 'rolled back: not a last known good candidate' },
      message: 'removed 1.2.0 (rolled back: not a last known good candidate); dropped 1 stored artifact no release needs',
    });
    expect(await stored()).toEqual(['1.1.0', '1.3.0', '1.4.0', '1.5.0']);
  });

  it('prunes a failed release before any good one, saying why, and drops its stored artifact', async () => {
    // 1.4.0 fails its health check and is rolled back (no prune runs): its directory stays for now.
    const failed = await deploy(sandbox.services, ENV, '1.4.0');
    expect(failed.error?.code).toBe('REWIND_E_DEPLOY_ROLLED_BACK');
    expect((await sandbox.ledger.getRelease(ENV, '1.4.0'))?.state).toBe('failed');
    expect(await installed()).toEqual(['1.0.0', '1.1.0', '1.3.0', '1.4.0']);

    // The next good deploy keeps 1.5.0 and 1.3.0 (also the LKG); the failed 1.4.0, newer than three
    // of the good ones, is never a rollback target and goes with them.
    const next = await deploy(sandbox.services, ENV, '1.5.0');
    expect(next.ok).toBe(true);
    expect(await installed()).toEqual(['1.3.0', '1.5.0']);
    const prune = await lastPrune();
    expect(prune.detail).toMatchObject({
      removed: ['1.1.0', '1.0.0', '1.4.0'],
      reasons: { '1.1.0': 'beyond the newest 2 good', '1.0.0': 'beyond the newest 2 good', '1.4.0': 'failed: never a rollback target' },
      kept: 2,
      message: 'removed 1.1.0 (beyond the newest 2 good), 1.0.0 (beyond the newest 2 good), 1.4.0 (failed: never a rollback target); dropped 2 stored artifacts no release needs',
    });
    expect(await stored()).toEqual(['1.3.0', '1.5.0']);
  });
});

import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import { freePort } from '../src/demo/sample-artifacts.js';
import { asPostgres, BIN, executor, mustRun, OS_USER, urlFor } from './support/pg-cluster.js';
import { collect, createSandbox, ENV, waitFor, type Sandbox } from './support/sandbox.js';

// The PostgreSQL ledger's server stops in the middle of a deploy (a throwaway initdb/pg_ctl cluster,
// stopped with -m immediate while the health step is in flight). rewind must end with a coded ledger
// error (exit 3) saying what it left behind, not "a bug in rewind"; once the server is back, status
// shows the unfinished deploy and resume finishes it (real PM2, real PostgreSQL 15).

describe('the ledger server stops mid-deploy (throwaway PostgreSQL cluster, real PM2)', () => {
  const root = mkdtempSync(join(tmpdir(), 'rewind-ledger-outage-'));
  const dataDir = join(root, 'pgdata');
  let port = 0;
  let started = false;
  let sandbox: Sandbox;

  const pgCtl = async (...args: string[]) => {
    await mustRun({ argv: asPostgres([join(BIN, 'pg_ctl'), ...args, '-D', dataDir, '-w', '-t', '30']), cwd: root, timeoutMs: 40_000 });
  };

  beforeAll(async () => {
    const uid = Number(await mustRun({ argv: ['id', '-u', OS_USER] }));
    const gid = Number(await mustRun({ argv: ['id', '-g', OS_USER] }));
    chownSync(root, uid, gid);
    port = await freePort();
    await mustRun({ argv: asPostgres([join(BIN, 'initdb'), '-D', dataDir, '--auth=trust', '--username=postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']), cwd: root });
    appendFileSync(join(dataDir, 'postgresql.conf'), ['', `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${root}'`, 'fsync = off', ''].join('\n'));
    await pgCtl('start', '-l', join(root, 'server.log'));
    started = true;
    // The readiness delay holds the health step open long enough to stop the server in it.
    sandbox = await createSandbox({ ledger: urlFor(port), readinessDelayMs: 3000 });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
  });

  afterAll(async () => {
    await sandbox?.close();
    if (started) await executor.run({ argv: asPostgres([join(BIN, 'pg_ctl'), 'stop', '-D', dataDir, '-m', 'immediate', '-w']), cwd: root, timeoutMs: 30_000 });
    rmSync(root, { recursive: true, force: true });
  });

  it('ends with REWIND_E_LEDGER (exit 3) naming what was left, and status and resume converge once it is back', async () => {
    const child = sandbox.spawnCli(['deploy', ENV, '1.1.0']);
    const done = collect(child);
    const operation = await waitFor(async () => {
      const [running] = await sandbox.ledger.findRunningOperations(ENV);
      if (!running) return undefined;
      const steps = await sandbox.ledger.listSteps(running.id);
      return steps.some((s) => s.stepId === 'health' && s.state === 'running') ? running : undefined;
    });
    await pgCtl('stop', '-m', 'immediate');
    started = false;

    const result = await done;
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`error REWIND_E_LEDGER: the ledger at ${urlFor(port)} became unreachable during operation ${operation.id} at step health`);
    expect(result.stderr).toContain(`it still records the operation as running and the lock as held by this process: when the ledger is back, run \`rewind resume ${ENV}\``);
    // The hint names the environment the operation ran in, ready to paste.
    expect(result.stderr).toContain(`hint: Check the \`ledger:\` setting and that the database is reachable; when it failed in the middle of an operation, run \`rewind resume ${ENV}\` once it is back.`);
    expect(result.stderr).not.toContain('REWIND_E_INTERNAL');
    expect(result.stderr).not.toMatch(/bug in rewind/);
    // The new release was activated before the server went away: it serves.
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });

    await pgCtl('start', '-l', join(root, 'server.log'));
    started = true;
    const status = await sandbox.cli(['status', ENV]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`unfinished      deploy 1.0.0 → 1.1.0 (${operation.id}): run \`rewind resume ${ENV}\``);
    expect(status.stdout).toMatch(new RegExp(`lock +held by .* \\(pid ${result.pid}, ${operation.id}\\)`));

    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    const health = (await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'health');
    expect(health).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
    expect(await sandbox.ledger.findRunningOperations(ENV)).toEqual([]);
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
    const after = await sandbox.cli(['status', ENV]);
    expect(after.stdout).toContain('lock            free');
    expect(after.stdout).not.toContain('unfinished');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
  });
});

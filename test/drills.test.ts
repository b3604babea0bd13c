import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFailureDrill } from '../src/core/drills/failure-drill.js';
import { rollback } from '../src/core/operations/rollback.js';
import { buildSampleArtifact } from '../src/demo/sample-artifacts.js';
import { packageRoot } from '../src/util/package-root.js';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from './support/app-database.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// Rollback drills (docs/drills.md) under real PM2 and real PostgreSQL: each failure drill deploys a
// drill release derived from the running one, rewind's own deploy detects the failure and rolls back,
// and the drill reads time to detect and to recover from the journal. The running release stays the
// last known good; the drill release is marked, failed, and no rollback target.
const SUITE = join(packageRoot(), 'examples', 'smoke', 'minimal.yaml');
const MIGRATIONS = { 'prisma/migrations/20260101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text);\n' };

describe('rewind drill (real PM2, real PostgreSQL)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;

  // With --json the drill's events stream as JSON lines first; its result is the last line.
  const json = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
  const lkg = async () => (await sandbox.ledger.findLastKnownGood(ENV, null))?.version;

  const previousToken = process.env.OPERATOR_TOKEN;

  beforeAll(async () => {
    // The smoke suite sends ${OPERATOR_TOKEN}; the sandbox's app is started with this value.
    process.env.OPERATOR_TOKEN = 'demo-operator-token';
    db = await createAppDatabase('rewind_drills');
    sandbox = await createSandbox({
      databaseYaml: (root, port) => `${prismaDatabaseYaml(db, root)}\n    smoke:\n      suite: ${SUITE}\n      baseUrl: http://127.0.0.1:${port}\n      timeoutMs: 2000`,
    });
    await sandbox.release('1.0.0', { files: MIGRATIONS });
    const first = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
    await db.query(`INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com')`);
  }, 60_000);
  afterAll(async () => {
    if (previousToken === undefined) delete process.env.OPERATOR_TOKEN;
    else process.env.OPERATOR_TOKEN = previousToken;
    await sandbox?.close();
    await db?.drop();
  });

  it('a health drill: detected at health, rolled back to 1.0.0, TTD and TTR from the journal, LKG unchanged', async () => {
    const result = await sandbox.cli(['drill', ENV, '--failure', 'health', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const { drill } = json<{ drill: { id: number; state: string; drillVersion: string; ttdMs: number; ttrMs: number; deployOperationId: string; rollbackOperationId: string; detail: Record<string, unknown> } }>(result.stdout);
    expect(drill).toMatchObject({ state: 'passed', drillVersion: '1.0.0-drill.1', detail: { detectedBy: 'health', restoredBy: ['health', 'smoke'] } });
    // The times are the journal's: the deploy's start → the failed health step → the rollback's last check.
    const deployOp = await sandbox.ledger.getOperation(drill.deployOperationId);
    const steps = await sandbox.ledger.listSteps(drill.deployOperationId);
    const health = steps.find((s) => s.stepId === 'health')!;
    expect(health.state).toBe('failed');
    expect(drill.ttdMs).toBe(health.finishedAt! - deployOp!.startedAt);
    const rollbackSteps = await sandbox.ledger.listSteps(drill.rollbackOperationId);
    const restoredAt = Math.max(...rollbackSteps.filter((s) => s.stepId === 'health' || s.stepId === 'smoke').map((s) => s.finishedAt!));
    expect(drill.ttrMs).toBe(restoredAt - health.finishedAt!);
    expect(drill.ttdMs).toBeGreaterThan(0);
    expect(drill.ttrMs).toBeGreaterThan(0);

    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await lkg()).toBe('1.0.0');
    expect(await sandbox.ledger.findLastKnownGood(ENV, '1.0.0')).toBeUndefined();
    expect(await sandbox.ledger.getRelease(ENV, '1.0.0-drill.1')).toMatchObject({ drill: true, state: 'failed', goodSeq: null });
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.drill).toBe(false);
    // A rehearsal opens no incident, and the drill release is no rollback target.
    expect(await sandbox.ledger.listIncidents({ env: ENV })).toEqual([]);
    await expect(rollback(sandbox.services, ENV, { to: '1.0.0-drill.1', force: true })).rejects.toMatchObject({ code: 'REWIND_E_RELEASE_NOT_GOOD', message: expect.stringContaining('drill release') });
    const events = (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).map((e) => e.event);
    expect(events).toContain('drill_start');
    expect(events).toContain('drill_complete');
  }, 30_000);

  it('a smoke drill: health passes, smoke fails, recovered; drill history lists both', async () => {
    const outcome = await runFailureDrill(sandbox.services, ENV, { failure: 'smoke' });
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.times).toMatchObject({ detectedBy: 'smoke' });
    expect(outcome.drill).toMatchObject({ state: 'passed', failure: 'smoke', drillVersion: '1.0.0-drill.2' });
    expect(outcome.drill!.ttdMs).toBeGreaterThan(0);
    expect(outcome.drill!.ttrMs).toBeGreaterThan(0);
    const deploySteps = await sandbox.ledger.listSteps(outcome.drill!.deployOperationId!);
    expect(deploySteps.find((s) => s.stepId === 'health')?.state).toBe('succeeded');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await lkg()).toBe('1.0.0');

    const history = await sandbox.cli(['drill', 'history', ENV, '--json']);
    expect(history.code, history.stderr).toBe(0);
    const drills = json<{ id: number; failure: string; state: string }[]>(history.stdout);
    expect(drills.map((d) => `${d.failure}:${d.state}`)).toEqual(['smoke:passed', 'health:passed']);
    const human = await sandbox.cli(['drill', 'history', ENV]);
    expect(human.stdout).toMatch(/#\d+ {2}staging {2}\S+ {2}smoke 1\.0\.0 → 1\.0\.0-drill\.2 {2}passed, detected in \d+ ms, recovered in \d+ ms/);
  }, 30_000);

  it('a migration drill: the injected migration fails at migrate, nothing of it applied, recovered', async () => {
    const outcome = await runFailureDrill(sandbox.services, ENV, { failure: 'migration' });
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.times).toMatchObject({ detectedBy: 'migrate' });
    expect(outcome.drill?.state).toBe('passed');
    const applied = await db.query(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name`);
    expect(applied.map((r) => r.migration_name)).toEqual(['20260101000000_users']);
    expect((await db.query('SELECT count(*)::int AS n FROM users'))[0]!.n).toBe(2);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await lkg()).toBe('1.0.0');
  }, 30_000);

  it("status after the drills: the last one with its times, no overdue warning, no checklist from a drill's rollback", async () => {
    const status = await sandbox.cli(['status', ENV]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/last drill      #3 failure \(migration\) passed at \S+, detected in \d+ ms, recovered in \d+ ms/);
    expect(status.stdout).not.toContain('drill overdue');
    expect(status.stdout).not.toContain('checklist');
  });

  it('a drill killed mid-deploy (SIGKILL): history says interrupted, resume closes it as failed and finishes its deploy', async () => {
    // The drill's deploy is killed as its health step begins: no verdict was recorded.
    const killed = await sandbox.cli(['drill', ENV, '--failure', 'health', '--json'], { env: { REWIND_FAILPOINTS: 'deploy:health:begin' } });
    expect(killed.signal).toBe('SIGKILL');
    const [running] = await sandbox.ledger.listDrills({ env: ENV, limit: 1 });
    expect(running).toMatchObject({ state: 'running', owner: { pid: expect.any(Number) } });
    const id = running!.id;
    expect(running!.owner!.pid).not.toBe(process.pid);
    const history = await sandbox.cli(['drill', 'history', ENV]);
    expect(history.stdout).toMatch(new RegExp(`#${id} .* interrupted \\(its process, pid ${running!.owner!.pid}, is gone; \`rewind resume ${ENV}\` closes it\\)`));

    // Resume finishes the drill release's deploy as any deploy: its health fails, it rolls back (exit 7).
    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stderr).toBe(7);
    expect(resumed.stderr).toContain('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(resumed.stdout).toContain(`closed drill #${id} on ${ENV} as failed: interrupted (its process, pid ${running!.owner!.pid}, is gone)`);
    const [closed] = await sandbox.ledger.listDrills({ env: ENV, limit: 1 });
    expect(closed).toMatchObject({ id, state: 'failed', ttdMs: null, ttrMs: null, detail: { interrupted: true, gap: expect.stringContaining('interrupted') } });
    expect(closed!.finishedAt).not.toBeNull();
    expect(await sandbox.ledger.findRunningOperations(ENV)).toEqual([]);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(await lkg()).toBe('1.0.0');
    const events = await sandbox.ledger.listEvents(ENV);
    expect(events.filter((e) => e.event === 'drill_complete' && e.data.drillId === id).map((e) => e.data.success)).toEqual([false]);

    // Nothing is left to close: a second resume has nothing to do.
    const again = await sandbox.cli(['resume', ENV]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('REWIND_E_NOTHING_TO_RESUME');
  }, 60_000);

  it('the next drill closes an interrupted drill of its environment; one run on another host is left to that host', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has exited
    const here = await sandbox.ledger.recordDrill({ env: ENV, kind: 'failure', failure: 'smoke', actor: 't', forcedReason: null, fromVersion: '1.0.0', drillVersion: null, backupId: null, startedAt: Date.now(), owner: { host: hostname(), pid: gone } });
    const elsewhere = await sandbox.ledger.recordDrill({ env: ENV, kind: 'failure', failure: 'smoke', actor: 't', forcedReason: null, fromVersion: '1.0.0', drillVersion: null, backupId: null, startedAt: Date.now(), owner: { host: `not-${hostname()}`, pid: gone } });
    const outcome = await runFailureDrill(sandbox.services, ENV, { failure: 'health' });
    expect(outcome.error?.message).toBeUndefined();
    const rows = await sandbox.ledger.listDrills({ env: ENV });
    expect(rows.find((d) => d.id === here.id)).toMatchObject({ state: 'failed', detail: { interrupted: true } });
    expect(rows.find((d) => d.id === elsewhere.id)).toMatchObject({ state: 'running' });
    expect(rows.find((d) => d.id === outcome.drill!.id)).toMatchObject({ state: 'passed' });
  }, 60_000);

  it('a health drill of a release registered as a tarball: the drill release is the unpacked tarball plus the marker, recovered to it', async () => {
    const dir = await buildSampleArtifact(join(sandbox.root, 'tarball-src'), { version: '1.1.0' });
    for (const [file, text] of Object.entries(MIGRATIONS)) {
      await mkdir(join(dir, file, '..'), { recursive: true });
      await writeFile(join(dir, file), text);
    }
    const tarball = join(sandbox.root, 'app-1.1.0.tgz');
    const tar = spawnSync('tar', ['-czf', tarball, '-C', join(dir, '..'), basename(dir)], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    const registered = await sandbox.cli(['release', 'register', ENV, '1.1.0', '--artifact', tarball, '--ci', 'passed']);
    expect(registered.code, registered.stderr).toBe(0);
    const deployed = await sandbox.cli(['deploy', ENV, '1.1.0']);
    expect(deployed.code, deployed.stderr).toBe(0);

    const result = await sandbox.cli(['drill', ENV, '--failure', 'health', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const { drill } = json<{ drill: { state: string; fromVersion: string; drillVersion: string; detail: Record<string, unknown> } }>(result.stdout);
    expect(drill).toMatchObject({ state: 'passed', fromVersion: '1.1.0', drillVersion: expect.stringMatching(/^1\.1\.0-drill\.\d+$/), detail: { detectedBy: 'health' } });
    // The drill release holds the tarball's files (its release root unpacked) and the marker.
    const drillDir = join(sandbox.root, 'srv', 'releases', drill.drillVersion);
    expect(JSON.parse(await readFile(join(drillDir, 'rewind-drill.json'), 'utf8'))).toMatchObject({ failure: 'health', of: '1.1.0', version: drill.drillVersion });
    expect(JSON.parse(await readFile(join(drillDir, 'release.json'), 'utf8'))).toMatchObject({ version: '1.1.0' });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
    expect(await lkg()).toBe('1.1.0');
  }, 60_000);
});

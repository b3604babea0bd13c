import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateSnapshotRecord } from '../../src/core/state/state-snapshots.js';
import { createSandbox, ENV, waitFor, type Sandbox } from '../support/sandbox.js';
import { RedisServer } from '../support/redis-server.js';

// Seed 004 "Application State Rollback" through the real CLI: the sample app under real PM2, a SQLite
// database next to a throwaway redis-server with appendonly yes (the setting under which putting
// dump.rdb back restores nothing). A deploy snapshots Redis in its preflight; what the new release
// then writes and deletes is undone by the rollback, which also cleans up session keys by pattern
// and says which keys expired while the snapshot waited. A Redis whose background save fails stops
// the deploy before anything changes; a corrupted snapshot stops the rollback before anything changes.

const PASSWORD_VAR = 'RW_TEST_REDIS_PASSWORD';
const PASSWORD = 'rwsecret-redis-4f1c9e';

interface Journaled {
  stepId: string;
  state: string;
  detail: Record<string, unknown>;
}

describe('Redis state next to the database (real CLI, PM2, redis-server with AOF)', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  const env = { [PASSWORD_VAR]: PASSWORD };
  const cli = (args: string[]) => sandbox.cli(args, { env, timeoutMs: 90_000 });
  const steps = async (operationId: string) => (await sandbox.ledger.listSteps(operationId)) as unknown as Journaled[];
  const lastOperation = async () => (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
  const logLines = () => readFileSync(join(sandbox.root, 'ops', 'backups.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    // enable-protected-configs: the test moves `dir` away at runtime to make a background save fail.
    redis = await RedisServer.start({ aof: true, password: PASSWORD, lines: ['enable-protected-configs yes'] });
    process.env[PASSWORD_VAR] = PASSWORD;
    sandbox = await createSandbox({
      databaseYaml: (root) => `    database:
      engine: sqlite
      path: ${join(root, 'app.sqlite')}
      backupDir: ${join(root, 'backups')}
      backupLog: ${join(root, 'ops', 'backups.log')}
    state:
      type: redis
      url: "redis://:\${${PASSWORD_VAR}}@127.0.0.1:${redis.port}/0"
      prefixes: ["sess:", "cart:"]
      restart: ${JSON.stringify(redis.restartArgv)}
      restoreOnRollback: always
      backupDir: ${join(root, 'backups', 'redis')}
      backupLog: ${join(root, 'ops', 'backups.log')}
      timeoutMs: 30000
      keep: 1
      cleanup: { patterns: ["csrf:*"], on: [rollback] }`,
    });
    const database = new Database(join(sandbox.root, 'app.sqlite'));
    database.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)');
    database.close();
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await sandbox.release(version);
    const first = await cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    for (let i = 0; i < 40; i++) await redis.command('SET', `sess:${i}`, `user-${i}`);
    for (let i = 0; i < 5; i++) await redis.command('HSET', `cart:${i}`, 'item', 'book');
  }, 120_000);
  afterAll(async () => {
    delete process.env[PASSWORD_VAR];
    await sandbox?.close();
    await redis?.stop();
  });

  it('a Redis whose background save fails stops the deploy in its preflight, naming it; nothing changed', async () => {
    // BGSAVE's child cannot create its temp file once Redis's dir is gone: rdb_last_bgsave_status:err.
    const gone = join(redis.dir, 'gone');
    await mkdir(gone);
    await redis.command('CONFIG', 'SET', 'dir', gone);
    await rm(gone, { recursive: true });
    const keys = await redis.keys();
    try {
      const result = await cli(['deploy', ENV, '1.1.0', '--json']);
      expect(result.code, result.stdout + result.stderr).toBe(6);
      const error = JSON.parse(result.stdout.trim().split('\n').at(-1)!).error as { code: string; cause: string; message: string };
      expect(error).toMatchObject({ code: 'REWIND_E_PREFLIGHT_FAILED', cause: 'REWIND_E_STATE_SNAPSHOT_FAILED' });
      expect(error.message).toMatch(/rdb_last_bgsave_status:err/);
    } finally {
      await redis.command('CONFIG', 'SET', 'dir', redis.dir);
    }
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.0.0');
    expect(await redis.keys()).toEqual(keys);
    const failed = await steps((await lastOperation()).id);
    expect(failed.map((s) => `${s.stepId}:${s.state}`)).toContain('state-snapshot:failed');
    expect(failed.find((s) => s.stepId === 'prepare')).toBeUndefined();
    expect(readFileSync(sandbox.config.log.file, 'utf8')).toMatch(/"event":"state_snapshot_failed"/);
  }, 90_000);

  it('deploy snapshots Redis; the rollback brings the key counts back over what the new release wrote, reports expired keys and cleans up', async () => {
    await redis.command('SET', 'sess:short', 'v', 'PX', 6_000);
    // Tokens in the snapshot itself: the restore brings them back, the rollback's cleanup deletes them.
    for (let i = 0; i < 3; i++) await redis.command('SET', `csrf:${i}`, 'token');
    const deployed = await cli(['deploy', ENV, '1.1.0']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const deploy = await lastOperation();
    const snapshotStep = (await steps(deploy.id)).find((s) => s.stepId === 'state-snapshot')!;
    expect(snapshotStep.state).toBe('succeeded');
    const snapshot = snapshotStep.detail as unknown as StateSnapshotRecord;
    expect(snapshot).toMatchObject({ release: '1.0.0', aof: true, exactCounts: true, keyCounts: { 'sess:': { keys: 41, volatile: 1 }, 'cart:': { keys: 5, volatile: 0 } } });
    expect(readFileSync(snapshot.path).subarray(0, 5).toString()).toBe('REDIS');
    const logged = logLines().find((l) => l.event === 'state_snapshot_complete')!;
    expect(logged).toMatchObject({ env: ENV, release: '1.0.0', store: 'redis', path: snapshot.path, sha256: snapshot.sha256, aof: true, keyCounts: snapshot.keyCounts });
    expect(logged.version).toMatch(/^\d+\.\d+\.\d+/);

    // What the bad release does to the state: new sessions, a deleted cart, changed values, csrf tokens.
    for (let i = 0; i < 10; i++) await redis.command('SET', `sess:new-${i}`, 'v');
    await redis.command('DEL', 'cart:0');
    await redis.command('SET', 'sess:1', 'changed-by-1.1.0');
    await redis.command('SET', 'csrf:abc', 'token');
    await waitFor(async () => (await redis.command('EXISTS', 'sess:short')) === 0, 15_000, 100);

    // The dry-run names every step and the restart argv, and touches nothing.
    const keysBefore = await redis.keys();
    const dry = await cli(['rollback', ENV, '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain('restore the redis snapshot of 1.0.0');
    expect(dry.stdout).toContain(redis.conf);
    expect(dry.stdout).toMatch(/state \(redis\): restore the snapshot of 1\.0\.0 taken/);
    expect(dry.stdout).not.toContain(PASSWORD);
    expect(await redis.keys()).toEqual(keysBefore);

    const rolled = await cli(['rollback', ENV, '--yes', '--reason', 'sessions broken']);
    expect(rolled.code, rolled.stdout + rolled.stderr).toBe(0);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const rollback = await lastOperation();
    const journal = await steps(rollback.id);
    const order = journal.map((s) => s.stepId);
    expect(order.indexOf('state-check')).toBeLessThan(order.indexOf('stop-app'));
    expect(order.indexOf('stop-app')).toBeLessThan(order.indexOf('state-restore'));
    expect(order.indexOf('state-restore')).toBeLessThan(order.indexOf('state-cleanup'));
    expect(order.indexOf('state-cleanup')).toBeLessThan(order.indexOf('activate'));
    const restored = journal.find((s) => s.stepId === 'state-restore')!;
    expect(restored.state).toBe('succeeded');
    expect(restored.detail).toMatchObject({ keyCounts: { 'sess:': { keys: 40, volatile: 0 }, 'cart:': { keys: 5, volatile: 0 } }, expired: { 'sess:': 1 } });
    expect(String(restored.detail.message)).toMatch(/1 key under sess: expired while the snapshot waited/);
    expect(restored.detail.aofMovedTo).toMatch(/appendonlydir\.before-rewind-/);
    expect(journal.find((s) => s.stepId === 'state-cleanup')?.detail).toMatchObject({ deleted: { 'csrf:*': 3 }, flushed: false });

    // The world: the snapshot's keys and values, nothing the new release wrote; AOF still on.
    const keys = await redis.keys();
    expect(keys.filter((k) => k.startsWith('sess:'))).toHaveLength(40);
    expect(keys).toContain('cart:0');
    expect(keys.filter((k) => k.startsWith('csrf:'))).toEqual([]);
    expect(keys.some((k) => k.startsWith('sess:new-'))).toBe(false);
    expect(await redis.command('GET', 'sess:1')).toBe('user-1');
    expect(String(await redis.command('CONFIG', 'GET', 'appendonly'))).toContain('yes');
    expect(logLines().map((l) => l.event)).toEqual(expect.arrayContaining(['state_snapshot_complete', 'state_restore_complete', 'state_cleanup_complete']));
  }, 120_000);

  it('a corrupted snapshot stops the rollback before anything is stopped or restored', async () => {
    expect((await cli(['deploy', ENV, '1.2.0'])).code).toBe(0);
    const snapshot = (await steps((await lastOperation()).id)).find((s) => s.stepId === 'state-snapshot')!.detail as unknown as StateSnapshotRecord & { pruned?: string[] };
    // keep: 1 — the snapshot 1.1.0's deploy took (also of 1.0.0, older) is removed, journaled and logged.
    expect(snapshot.pruned).toHaveLength(1);
    expect(existsSync(snapshot.pruned![0]!)).toBe(false);
    expect(logLines().filter((l) => l.event === 'state_snapshot_pruned').map((l) => l.path)).toEqual(snapshot.pruned);
    const bytes = readFileSync(snapshot.path);
    bytes[20] ^= 0xff;
    writeFileSync(snapshot.path, bytes);
    await redis.command('SET', 'sess:after-1.2.0', 'v');
    const pid = redis.pid();
    const keys = await redis.keys();

    const result = await cli(['rollback', ENV, '--yes', '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(6);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!).error).toMatchObject({ code: 'REWIND_E_PREFLIGHT_FAILED', cause: 'REWIND_E_BACKUP_CORRUPT' });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.2.0' });
    expect(redis.pid()).toBe(pid);
    expect(await redis.keys()).toEqual(keys);
    const journal = await steps((await lastOperation()).id);
    expect(journal.find((s) => s.stepId === 'state-check')?.state).toBe('failed');
    expect(journal.find((s) => s.stepId === 'stop-app')).toBeUndefined();
    expect(existsSync(join(redis.dir, 'appendonlydir'))).toBe(true);
  }, 120_000);

  it('writes the Redis password nowhere: not in plans, the journal, the backups log or the events log', async () => {
    const plans = JSON.stringify((await sandbox.ledger.listOperations(ENV, { limit: 100 })).map((op) => op.plan));
    expect(plans).toContain('state-restore');
    const haystacks = {
      plans,
      journal: JSON.stringify(await Promise.all((await sandbox.ledger.listOperations(ENV, { limit: 100 })).map((op) => sandbox.ledger.listSteps(op.id)))),
      backupsLog: readFileSync(join(sandbox.root, 'ops', 'backups.log'), 'utf8'),
      eventsLog: readFileSync(sandbox.config.log.file, 'utf8'),
    };
    for (const [where, text] of Object.entries(haystacks)) expect(text.includes(PASSWORD), where).toBe(false);
  });
});

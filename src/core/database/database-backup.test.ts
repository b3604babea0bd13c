import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { isRewindError } from '../../errors/rewind-error.js';
import { MemorySink } from '../../events/event-sinks.js';
import { ProcessExecutor } from '../../exec/process-executor.js';
import { openLedger } from '../../ledger/open-ledger.js';
import type { BackupKind, Ledger } from '../../ports/ledger.js';
import { backupDatabase, describeDatabaseBackup, pruneBackups, verifyBackup } from './database-backup.js';
import type { Services } from '../services.js';
import { loadAdapters } from '../../adapters/registry.js';

const { createDatabaseEngine } = await loadAdapters();

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 31, 12);

const runtime = `      runtime:
        type: command
        start: ["true"]
        reload: ["true"]`;

function configYaml(): string {
  return `version: 1
ledger: ./rewind.db
log:
  file: ./events.log
environments:
  staging:
    target:
      type: releases
      path: ./srv
${runtime}
    database:
      engine: sqlite
      path: ./app.db
      keep: 2
      retainDays: 7
      criticalTables: [users]
  nodb:
    target:
      type: releases
      path: ./srv2
${runtime}
`;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isRewindError(error) ? error.code : String(error);
  }
}

describe('database backups (core, on the SQLite engine and a SQLite ledger)', () => {
  let root: string;
  let ledger: Ledger;
  let services: Services;
  let memory: MemorySink;
  let clock = T0;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rewind-core-backup-'));
    const configPath = join(root, 'rewind.yaml');
    writeFileSync(configPath, configYaml());
    const app = new Database(join(root, 'app.db'));
    app.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('c@x');
      CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY, migration_name TEXT, finished_at TEXT, rolled_back_at TEXT, checksum TEXT);
      INSERT INTO _prisma_migrations VALUES ('1', '20240101_init', '2024-01-01', NULL, 'x');`);
    app.close();
    const { config } = loadConfig(configPath);
    ledger = await openLedger(config.ledger);
    memory = new MemorySink();
    const executor = new ProcessExecutor();
    services = {
      config,
      ledger,
      sink: memory,
      actor: 'tester',
      now: () => clock,
      createTarget: () => {
        throw new Error('not used');
      },
      checkHealth: async () => {
        throw new Error('not used');
      },
      runSmoke: async () => {
        throw new Error('not used');
      },
      createMetricSource: () => {
        throw new Error('not used');
      },
      executor,
      createDatabaseEngine: (env, envConfig) => createDatabaseEngine(env, envConfig, executor),
    };
    await ledger.ensureEnvironment('staging', T0);
    await ledger.registerRelease({ env: 'staging', version: '1.0.0', artifact: '/a', digest: 'sha256:1', commit: null, ci: 'passed' }, T0);
    await ledger.markReleaseGood('staging', '1.0.0', T0);
    await ledger.setCurrentVersion('staging', '1.0.0', T0);
  });

  afterAll(async () => {
    await ledger?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('backs up, records the backup in the ledger and ops/backups.log, and emits backup_complete', async () => {
    const { backup, durationMs } = await backupDatabase(services, 'staging', { kind: 'manual' });
    expect(backup).toMatchObject({ env: 'staging', releaseVersion: '1.0.0', kind: 'manual', engine: 'sqlite', format: 'sqlite-file', createdAt: T0, deletedAt: null });
    expect(backup.path.startsWith(join(root, 'backups', 'staging'))).toBe(true);
    expect(existsSync(backup.path)).toBe(true);
    expect(backup.rowCounts).toEqual({ users: 3 });
    expect(backup.migrationState).toEqual([expect.objectContaining({ name: '_prisma_migrations', rows: [expect.objectContaining({ migration_name: '20240101_init' })] })]);
    expect(await ledger.getBackup(backup.id)).toEqual(backup);

    const log = readFileSync(join(root, 'ops', 'backups.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(log.at(-1)).toMatchObject({ event: 'backup_complete', env: 'staging', release: '1.0.0', engine: 'sqlite', path: backup.path, size: backup.size, sha256: backup.sha256, id: backup.id });
    expect(log.at(-1).at).toBe(new Date(T0).toISOString());

    const event = memory.events.find((e) => e.event === 'backup_complete');
    expect(event).toMatchObject({ env: 'staging', backupId: backup.id, path: backup.path, size: backup.size, sha256: backup.sha256, durationMs });
    expect(typeof event?.durationMs).toBe('number');
    // A manual backup belongs to no operation; a step's backup names its operation.
    expect(event).not.toHaveProperty('operationId');
    await backupDatabase(services, 'staging', { kind: 'safety', operationId: 'op_step' });
    expect(memory.events.filter((e) => e.event === 'backup_complete').at(-1)).toMatchObject({ kind: 'safety', operationId: 'op_step' });
  });

  it('describes a backup for dry-runs without taking one', () => {
    const plan = describeDatabaseBackup(services, 'staging', { kind: 'manual' });
    expect(plan.destination.endsWith('.sqlite')).toBe(true);
    expect(plan.commands).toEqual([]);
    expect(existsSync(plan.destination)).toBe(false);
  });

  it('refuses an environment without a database (REWIND_E_NO_DATABASE)', async () => {
    expect(await codeOf(backupDatabase(services, 'nodb', { kind: 'manual' }))).toBe('REWIND_E_NO_DATABASE');
    expect(await codeOf(pruneBackups(services, 'nodb'))).toBe('REWIND_E_NO_DATABASE');
    expect(await codeOf(backupDatabase(services, 'nope', { kind: 'manual' }))).toBe('REWIND_E_UNKNOWN_ENV');
  });

  it('verifies a recorded backup by id and by path, and reports a corrupted one', async () => {
    const { backup } = await backupDatabase(services, 'staging', { kind: 'manual', releaseVersion: null });
    expect((await verifyBackup(services, String(backup.id))).ok).toBe(true);
    expect((await verifyBackup(services, backup.path, { env: 'staging' })).ok).toBe(true);
    const bytes = readFileSync(backup.path);
    bytes[100] ^= 0x01;
    writeFileSync(backup.path, bytes);
    const verdict = await verifyBackup(services, String(backup.id));
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/checksum mismatch/);
    expect(memory.events.filter((e) => e.event === 'backup_verified').map((e) => e.ok)).toEqual([true, true, false]);
    expect(await codeOf(verifyBackup(services, '99999'))).toBe('REWIND_E_BACKUP_NOT_FOUND');
    expect(await codeOf(verifyBackup(services, join(root, 'not-a-backup.sqlite')))).toBe('REWIND_E_BACKUP_NOT_FOUND');
  });

  it('prunes by retention but never the newest N, the young, or the pre-upgrade backup of a rollback target', async () => {
    // A fresh environment sharing the same database settings, with releases in every relevant state.
    const env = 'staging';
    for (const b of await ledger.listBackups(env)) await ledger.markBackupDeleted(b.id, T0);
    const release = async (version: string, state: 'good' | 'superseded' | 'failed' | 'rolled-back') => {
      await ledger.registerRelease({ env, version, artifact: `/a/${version}`, digest: `sha256:${version}`, commit: null, ci: 'passed' }, T0);
      if (state === 'good' || state === 'superseded' || state === 'rolled-back') await ledger.markReleaseGood(env, version, T0);
      if (state !== 'good') await ledger.setReleaseState(env, version, state, T0);
    };
    await release('0.8.0', 'superseded'); // a potential LKG
    await release('0.9.0', 'failed');
    await release('0.9.5', 'rolled-back'); // was good once, no longer a candidate
    // current is 1.0.0 (good)
    const record = async (kind: BackupKind, releaseVersion: string | null, ageDays: number) => {
      const path = join(root, 'backups', 'staging', `fake-${kind}-${releaseVersion}-${ageDays}.sqlite`);
      writeFileSync(path, `fake ${kind} ${releaseVersion} ${ageDays}`);
      return ledger.recordBackup({ env, releaseVersion, kind, engine: 'sqlite', format: 'sqlite-file', path, size: 10, sha256: 'x', migrationState: [], rowCounts: {}, createdAt: T0 - ageDays * DAY });
    };
    const lkgOld = await record('pre-upgrade', '0.8.0', 40);
    const lkgNewest = await record('pre-upgrade', '0.8.0', 30); // newest pre-upgrade of 0.8.0: protected
    const failed = await record('pre-upgrade', '0.9.0', 25);
    const rolledBack = await record('pre-upgrade', '0.9.5', 20);
    const current = await record('pre-upgrade', '1.0.0', 15); // the current release: protected
    const oldManual = await record('manual', '1.0.0', 12);
    const oldSafety = await record('safety', '1.0.0', 10);
    const young = await record('manual', '1.0.0', 3); // younger than 7 days
    const manualTenAndAHalf = await record('manual', '1.0.0', 10.5);
    const safetyTenPointTwo = await record('safety', '1.0.0', 10.2);
    // keep: 2 → the newest two by time are `young` (3 days) and `oldSafety` (10 days).

    const dry = await pruneBackups(services, env, { dryRun: true });
    const doomed = [lkgOld, failed, rolledBack, oldManual, manualTenAndAHalf, safetyTenPointTwo].map((b) => b.id).sort();
    expect(dry.deleted.map((b) => b.id).sort()).toEqual(doomed);
    expect(Object.fromEntries(dry.kept.map((k) => [k.backup.id, k.keptBecause]))).toEqual({
      [young.id]: 'among the newest 2',
      [oldSafety.id]: 'among the newest 2',
      [lkgNewest.id]: 'pre-upgrade backup of 0.8.0, which can still be rolled back to',
      [current.id]: 'pre-upgrade backup of 1.0.0, which can still be rolled back to',
    });
    expect((await ledger.listBackups(env)).length).toBe(10);
    expect(memory.events.some((e) => e.event === 'backup_pruned')).toBe(false);

    clock = T0 + 1000;
    const real = await pruneBackups(services, env);
    expect(real.deleted.map((b) => b.id).sort()).toEqual(doomed);
    expect((await ledger.listBackups(env)).map((b) => b.id).sort()).toEqual([young.id, oldSafety.id, lkgNewest.id, current.id].sort());
    expect((await ledger.getBackup(failed.id))?.deletedAt).toBe(T0 + 1000);
    expect(existsSync(failed.path)).toBe(false);
    expect(existsSync(lkgNewest.path)).toBe(true);
    expect((await ledger.listBackups(env, { includeDeleted: true })).length).toBeGreaterThan(10);
    const pruned = memory.events.filter((e) => e.event === 'backup_pruned');
    expect(pruned.map((e) => e.backupId).sort()).toEqual(doomed);
    expect(pruned.find((e) => e.backupId === failed.id)).toMatchObject({ env, path: failed.path, kind: 'pre-upgrade', release: '0.9.0' });
    const log = readFileSync(join(root, 'ops', 'backups.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(log.filter((l) => l.event === 'backup_pruned').map((l) => l.id).sort()).toEqual(doomed);
    expect(await ledger.latestBackupFor(env, '0.8.0', 'pre-upgrade')).toMatchObject({ id: lkgNewest.id });

    // Nothing left to prune: a second run deletes nothing.
    expect((await pruneBackups(services, env)).deleted).toEqual([]);
  });
});

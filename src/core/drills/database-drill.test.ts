import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../adapters/registry.js';
import { loadConfig } from '../../config/load-config.js';
import { MemorySink } from '../../events/event-sinks.js';
import { ProcessExecutor } from '../../exec/process-executor.js';
import { openLedger } from '../../ledger/open-ledger.js';
import type { Ledger } from '../../ports/ledger.js';
import { backupDatabase } from '../database/database-backup.js';
import type { Services } from '../services.js';
import { runDatabaseDrill } from './database-drill.js';

const { createDatabaseEngine } = await loadAdapters();
const notUsed = () => {
  throw new Error('not used');
};

// The database drill on the SQLite engine: the scratch restore is a temporary file, removed after;
// the live file is never touched; the result lands on the backup.
describe('database drill (SQLite engine, SQLite ledger)', () => {
  let root: string;
  let ledger: Ledger;
  let services: Services;
  const appDb = () => join(root, 'app.db');

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rewind-drill-sqlite-'));
    writeFileSync(
      join(root, 'rewind.yaml'),
      `version: 1
ledger: ./rewind.db
log:
  file: ./events.log
environments:
  staging:
    target:
      type: releases
      path: ./srv
      runtime:
        type: command
        start: ["true"]
        reload: ["true"]
    database:
      engine: sqlite
      path: ./app.db
      criticalTables: [users, orders]
`,
    );
    const app = new Database(appDb());
    app.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('c@x');
      CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY, migration_name TEXT, finished_at TEXT, rolled_back_at TEXT, checksum TEXT);
      INSERT INTO _prisma_migrations VALUES ('1', '20240101_init', '2024-01-01', NULL, 'x');`);
    app.close();
    const { config } = loadConfig(join(root, 'rewind.yaml'));
    ledger = await openLedger(config.ledger);
    const executor = new ProcessExecutor();
    services = {
      config,
      ledger,
      sink: new MemorySink(),
      actor: 'tester',
      now: () => Date.now(),
      createTarget: notUsed,
      checkHealth: notUsed,
      runSmoke: notUsed,
      createMetricSource: notUsed,
      executor,
      createDatabaseEngine: (env, envConfig) => createDatabaseEngine(env, envConfig, executor),
    };
  });
  afterAll(async () => {
    await ledger?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('without a backup: REWIND_E_DRILL_NOT_READY and no drill recorded', async () => {
    await expect(runDatabaseDrill(services, 'staging')).rejects.toMatchObject({ code: 'REWIND_E_DRILL_NOT_READY' });
    expect(await ledger.listDrills()).toEqual([]);
  });

  it('restores the newest backup into a temporary file, matches what was recorded, and trusts the backup', async () => {
    const { backup } = await backupDatabase(services, 'staging', { kind: 'manual', releaseVersion: null });
    // Writes after the backup change the live database, not what the backup must restore to.
    const app = new Database(appDb());
    app.exec(`INSERT INTO users (email) VALUES ('d@x')`);
    app.close();
    const tmpBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('rewind-scratch-')).length;
    const outcome = await runDatabaseDrill(services, 'staging');
    expect(outcome.error).toBeUndefined();
    expect(outcome.checks).toEqual([
      { check: 'migration table _prisma_migrations', ok: true, detail: '1 rows, newest 20240101_init, as recorded' },
      { check: 'rows of users', ok: true, detail: '3 rows, as recorded' },
      { check: 'rows of orders', ok: true, detail: 'no such table, as recorded' },
    ]);
    expect(outcome.drill).toMatchObject({ kind: 'database', state: 'passed', backupId: backup.id });
    expect((await ledger.getBackup(backup.id))?.testRestore).toMatchObject({ ok: true, drillId: outcome.drill!.id });
    // The live file still has its fourth user; the scratch file is gone.
    const live = new Database(appDb(), { readonly: true });
    expect((live.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(4);
    live.close();
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('rewind-scratch-')).length).toBeLessThanOrEqual(tmpBefore);
  });
});

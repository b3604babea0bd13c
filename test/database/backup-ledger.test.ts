import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_LEDGER_MIGRATION, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, ledgerMigrationProvider } from '../../src/ledger/ledger-migrations.js';
import { openLedger } from '../../src/ledger/open-ledger.js';
import type { Ledger, NewBackup } from '../../src/ports/ledger.js';
import { POSTGRES_ADMIN_URL as ADMIN, postgresUrl } from '../support/services.js';

// The ledger's backup records (migration 0003_backups) on both dialects.
const T0 = 1_717_171_717_000;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const newBackup = (overrides: Partial<NewBackup> = {}): NewBackup => ({
  env: 'prod',
  releaseVersion: '1.0.0',
  kind: 'pre-upgrade',
  engine: 'postgres',
  format: 'pg-custom-zst',
  path: '/backups/prod/a.dump.zst',
  size: 5_000_000_000, // beyond 32 bits
  sha256: 'ab'.repeat(32),
  migrationState: [{ name: '_prisma_migrations', columns: ['id'], rows: [{ id: '1' }] }],
  rowCounts: { users: 12 },
  createdAt: T0,
  ...overrides,
});

function backupLedgerSuite(name: string, open: () => Promise<Ledger>, setup: () => Promise<void>, cleanup: () => Promise<void>): void {
  describe(`ledger backups: ${name}`, () => {
    let ledger: Ledger;
    beforeAll(async () => {
      await setup();
      ledger = await open();
    });
    afterAll(async () => {
      await ledger?.close();
      await cleanup();
    });

    it('records, reads back and lists backups newest first', async () => {
      const first = await ledger.recordBackup(newBackup());
      const second = await ledger.recordBackup(newBackup({ kind: 'manual', releaseVersion: null, path: '/b', createdAt: T0 + 1000 }));
      expect(first.id).toBeGreaterThan(0);
      expect(second.id).toBeGreaterThan(first.id);
      expect(await ledger.getBackup(first.id)).toEqual({ ...newBackup(), id: first.id, deletedAt: null, testRestore: null });
      expect((await ledger.listBackups('prod')).map((b) => b.id)).toEqual([second.id, first.id]);
      expect(await ledger.listBackups('other')).toEqual([]);
      expect(await ledger.getBackup(999_999)).toBeUndefined();
    });

    it('marks deleted without removing, and finds the latest live backup for a release and kind', async () => {
      const older = await ledger.recordBackup(newBackup({ env: 'stage', createdAt: T0 }));
      const newer = await ledger.recordBackup(newBackup({ env: 'stage', createdAt: T0 + 5 }));
      await ledger.recordBackup(newBackup({ env: 'stage', kind: 'safety', createdAt: T0 + 10 }));
      expect((await ledger.latestBackupFor('stage', '1.0.0', 'pre-upgrade'))?.id).toBe(newer.id);
      await ledger.markBackupDeleted(newer.id, T0 + 99);
      expect((await ledger.latestBackupFor('stage', '1.0.0', 'pre-upgrade'))?.id).toBe(older.id);
      expect(await ledger.latestBackupFor('stage', '2.0.0', 'pre-upgrade')).toBeUndefined();
      expect((await ledger.listBackups('stage')).map((b) => b.id)).not.toContain(newer.id);
      const all = await ledger.listBackups('stage', { includeDeleted: true });
      expect(all.find((b) => b.id === newer.id)?.deletedAt).toBe(T0 + 99);
      // Marking again keeps the first deletion time.
      await ledger.markBackupDeleted(newer.id, T0 + 500);
      expect((await ledger.getBackup(newer.id))?.deletedAt).toBe(T0 + 99);
    });
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'rewind-backup-ledger-'));
backupLedgerSuite(
  'sqlite',
  () => openLedger(join(sqliteDir, 'ledger.db')),
  async () => undefined,
  async () => rmSync(sqliteDir, { recursive: true, force: true }),
);

const database = `rewind_bkl_${randomBytes(5).toString('hex')}`;
const pgUrl = postgresUrl(database);
backupLedgerSuite(
  'postgres',
  () => openLedger(pgUrl),
  () => admin(`CREATE DATABASE ${database}`),
  () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
);

describe('ledger migration to backups', () => {
  it('brings a ledger created before 0003_backups up to date when it is opened', async () => {
    expect(LATEST_LEDGER_MIGRATION >= '0003_backups').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'rewind-ledger-upgrade-'));
    try {
      const file = join(dir, 'old.db');
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
      const migrator = new Migrator({ db, provider: ledgerMigrationProvider('sqlite'), migrationTableName: MIGRATION_TABLE, migrationLockTableName: MIGRATION_LOCK_TABLE });
      const { error } = await migrator.migrateTo('0001_initial');
      expect(error).toBeUndefined();
      await db.destroy();
      const ledger = await openLedger(file);
      try {
        const backup = await ledger.recordBackup(newBackup());
        expect((await ledger.getBackup(backup.id))?.sha256).toBe(backup.sha256);
      } finally {
        await ledger.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

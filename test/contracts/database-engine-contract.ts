import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { BackupArtifact, DatabaseEngine, DatabaseSnapshot } from '../../src/ports/database-engine.js';
import { isRewindError } from '../../src/errors/rewind-error.js';
import { isSecretRef } from '../../src/ports/secret-ref.js';
import { contractSuite, type ContractRun } from './contract-suite.js';

/**
 * The database engine contract: one suite every DatabaseEngine adapter runs against a real server
 * (PostgreSQL, MariaDB) or file (SQLite). A backend test file supplies a factory for a throwaway
 * database and calls `databaseEngineContract` once per configuration.
 */
export interface DatabaseEngineContractOptions extends ContractRun {
  /** Creates the throwaway database (empty). */
  create(): Promise<void>;
  /** An engine on it; `port` points it somewhere nothing listens, `password` only for describe* checks (its commands name it by reference). */
  engine(overrides?: { unreachable?: boolean; password?: string }): DatabaseEngine;
  /** Runs statements on the database outside the engine, in order. */
  exec(statements: readonly string[]): Promise<void>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Whether a database of this name exists on the server (engines whose scratch restore makes one beside the live database). */
  databaseExists?(name: string): Promise<boolean>;
  /** Removes the database. Called once, at the end. */
  drop(): Promise<void>;
}

const CRITICAL = ['users', 'orders'];

function seedStatements(): string[] {
  const users = Array.from({ length: 50 }, (_, i) => `(${i + 1}, 'user${i + 1}@example.com', 'O''Brien ${i + 1} — ünïcode ✓')`);
  const orders = Array.from({ length: 200 }, (_, i) => `(${i + 1}, ${(i % 50) + 1}, ${(i * 37) % 500})`);
  return [
    'CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, name VARCHAR(200) NOT NULL)',
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total INTEGER NOT NULL)',
    'CREATE INDEX orders_user ON orders (user_id)',
    'CREATE VIEW big_orders AS SELECT id, user_id, total FROM orders WHERE total > 250',
    `CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMP NULL,
      migration_name VARCHAR(255) NOT NULL, logs TEXT NULL, rolled_back_at TIMESTAMP NULL, started_at TIMESTAMP NOT NULL, applied_steps_count INTEGER NOT NULL)`,
    `INSERT INTO users (id, email, name) VALUES ${users.join(', ')}`,
    `INSERT INTO orders (id, user_id, total) VALUES ${orders.join(', ')}`,
    `INSERT INTO _prisma_migrations VALUES
      ('0b6b6d3e-0001-4000-8000-000000000001', '${'a'.repeat(64)}', '2024-05-01 10:00:01', '20240501100000_init', NULL, NULL, '2024-05-01 10:00:00', 1),
      ('0b6b6d3e-0002-4000-8000-000000000002', '${'b'.repeat(64)}', '2024-06-01 09:30:02', '20240601093000_add_orders', NULL, NULL, '2024-06-01 09:30:00', 1)`,
  ];
}

/** sha256 recomputed here, independently of the adapters: the file's bytes, or a directory's sha256sum-style manifest. */
function independentDigest(path: string): { sha256: string; size: number } {
  if (!statSync(path).isDirectory()) return { sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), size: statSync(path).size };
  const files = (readdirSync(path, { recursive: true }) as string[]).map((rel) => join(path, rel)).filter((full) => statSync(full).isFile());
  const lines = files
    .map((full) => `${createHash('sha256').update(readFileSync(full)).digest('hex')}  ${relative(path, full).split(sep).join('/')}\n`)
    .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  return { sha256: createHash('sha256').update(lines.join('')).digest('hex'), size: files.reduce((sum, f) => sum + statSync(f).size, 0) };
}

/** A copy of a backup with one byte flipped in the middle (of its largest file, for a directory). */
function corruptCopy(backup: BackupArtifact, dir: string): BackupArtifact {
  const copy = join(dir, `corrupt-${Math.random().toString(16).slice(2)}`);
  cpSync(backup.path, copy, { recursive: true });
  let victim = copy;
  if (statSync(copy).isDirectory()) {
    const files = (readdirSync(copy, { recursive: true }) as string[]).map((rel) => join(copy, rel)).filter((f) => statSync(f).isFile());
    victim = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  }
  const bytes = readFileSync(victim);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0x01;
  writeFileSync(victim, bytes);
  return { ...backup, path: copy };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeDefined();
  expect(isRewindError(error) ? error.code : error).toBe(code);
  return error as Error;
}

/**
 * Whether the engine has the drill's scratch restore. Asked of an engine built before the suite
 * creates its database; a factory that cannot build one yet (its file is made in `create`) counts as
 * capable, so the case runs and fails loudly if the method is missing rather than skipping quietly.
 */
function canRestoreIntoScratch(factory: DatabaseEngineContractOptions): boolean {
  try {
    return factory.engine().restoreIntoScratch !== undefined;
  } catch {
    return true;
  }
}

export function databaseEngineContract(factory: DatabaseEngineContractOptions): void {
  contractSuite('DatabaseEngine', factory, (cases) => {
    let work: string;
    let engine: DatabaseEngine;
    let backup: BackupArtifact;
    let original: DatabaseSnapshot;
    let originalUsers: Record<string, unknown>[];
    let originalOrders: Record<string, unknown>[];

    const users = () => factory.query('SELECT id, email, name FROM users ORDER BY id');
    const orders = () => factory.query('SELECT id, user_id, total FROM orders ORDER BY id');

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'rewind-db-contract-'));
      await factory.create();
      await factory.exec(seedStatements());
      engine = factory.engine();
    });

    afterAll(async () => {
      await engine?.close();
      await factory.drop();
      rmSync(work, { recursive: true, force: true });
    });

    cases.it('pings a live database', async () => {
      await expect(engine.ping()).resolves.toBeUndefined();
    });

    cases.it('fails ping clearly when nothing listens (REWIND_E_DB_UNREACHABLE)', async () => {
      const error = await expectCode(factory.engine({ unreachable: true }).ping(), 'REWIND_E_DB_UNREACHABLE');
      expect(error.message.length).toBeGreaterThan(20);
    });

    cases.it('snapshots exact row counts of critical tables and the migration table rows', async () => {
      original = await engine.snapshot(CRITICAL);
      expect(original.rowCounts).toEqual({ users: 50, orders: 200 });
      const prisma = original.migrationState.find((t) => t.name === '_prisma_migrations');
      expect(prisma?.columns).toContain('migration_name');
      expect(prisma?.rows.map((r) => r.migration_name)).toEqual(['20240501100000_init', '20240601093000_add_orders']);
      originalUsers = await users();
      originalOrders = await orders();
    });

    cases.it('counts a critical table that does not exist as absent (null), and refuses a name that is not a table name', async () => {
      expect((await engine.snapshot(['users', 'no_such_table'])).rowCounts).toEqual({ users: 50, no_such_table: null });
      await expectCode(engine.snapshot(['a.b.c']), 'REWIND_E_CONFIG_INVALID');
    });

    cases.it('counts critical tables named like members of every object (__proto__, constructor) like any other', async () => {
      await factory.exec(['CREATE TABLE __proto__ (id INTEGER PRIMARY KEY)', 'CREATE TABLE constructor (id INTEGER PRIMARY KEY)', 'INSERT INTO __proto__ (id) VALUES (1), (2)']);
      try {
        const { rowCounts } = await engine.snapshot(['__proto__', 'constructor', 'users']);
        // A plain {} would have taken `rowCounts.__proto__ = 2` as a prototype assignment and dropped the count.
        expect(Object.entries(rowCounts)).toEqual([
          ['__proto__', 2],
          ['constructor', 0],
          ['users', 50],
        ]);
      } finally {
        await factory.exec(['DROP TABLE __proto__', 'DROP TABLE constructor']);
      }
    });

    cases.it('backs up with size and a sha256 that match the bytes on disk', async () => {
      const destination = join(work, 'backups', `first${engine.extension}`);
      const result = await engine.backup(destination, CRITICAL);
      backup = result.artifact;
      expect(backup.path).toBe(destination);
      expect(backup.format.length).toBeGreaterThan(0);
      expect(backup.size).toBeGreaterThan(0);
      const independent = independentDigest(destination);
      expect(backup.sha256).toBe(independent.sha256);
      expect(backup.size).toBe(independent.size);
      expect(existsSync(`${destination}.partial`)).toBe(false);
      // The snapshot recorded with the backup describes what it holds.
      expect(result.snapshot).toEqual(original);
    });

    cases.it('verifies a good backup', async () => {
      await expect(engine.verify(backup)).resolves.toEqual({ ok: true });
    });

    cases.it('keeps passwords out of its commands (they go into plans): the environment names the password by reference', () => {
      const secret = 'Sup3r-s3cret-pw';
      const withPassword = factory.engine({ password: secret });
      const commands = [...withPassword.describeBackup(join(work, 'x')), ...withPassword.describeRestore({ path: join(work, 'x'), size: 1, sha256: '0', format: backup.format })].flat();
      expect(JSON.stringify(commands)).not.toContain(secret); // argv, env and redact alike
      // An engine that runs tools hands them the password, by reference, in their environment.
      if (commands.length > 0) expect(commands.some((command) => Object.values(command.env ?? {}).some(isSecretRef))).toBe(true);
    });

    cases.it('restores exactly: rows, migration table, and objects created after the backup are gone', async () => {
      await factory.exec([
        'DROP VIEW big_orders',
        'DROP TABLE orders',
        'DELETE FROM users WHERE id > 10',
        "INSERT INTO users (id, email, name) VALUES (999, 'intruder@example.com', 'x')",
        "UPDATE _prisma_migrations SET rolled_back_at = '2024-07-01 00:00:00' WHERE migration_name = '20240601093000_add_orders'",
        `INSERT INTO _prisma_migrations VALUES ('0b6b6d3e-0003-4000-8000-000000000003', '${'c'.repeat(64)}', NULL, '20240701000000_broken', 'boom', NULL, '2024-07-01 00:00:00', 0)`,
        'CREATE TABLE added_by_failed_migration (id INTEGER PRIMARY KEY)',
      ]);
      const mutated = await engine.snapshot(['users']);
      expect(mutated.rowCounts).toEqual({ users: 11 });

      await engine.restore(backup);

      expect(await engine.snapshot(CRITICAL)).toEqual(original);
      expect(await users()).toEqual(originalUsers);
      expect(await orders()).toEqual(originalOrders);
      expect(await factory.query('SELECT count(*) AS n FROM big_orders')).toEqual([{ n: expect.anything() }]);
      await expect(factory.query('SELECT * FROM added_by_failed_migration')).rejects.toThrow();
    });

    cases.itWith('restoreIntoScratch', canRestoreIntoScratch(factory), "restores into a scratch database for a drill: the backup's snapshot, the live database untouched, the scratch gone", async () => {
      await factory.exec(["INSERT INTO users (id, email, name) VALUES (998, 'after@example.com', 'y')"]);
      try {
        const live = await engine.snapshot(CRITICAL);
        expect(live).not.toEqual(original);
        const scratch = await engine.restoreIntoScratch!(backup, CRITICAL);
        expect({ migrationState: scratch.migrationState, rowCounts: scratch.rowCounts }).toEqual(original);
        expect(await engine.snapshot(CRITICAL)).toEqual(live);
        // A file (SQLite) or a database on the server (PostgreSQL, MariaDB): either way it no longer exists.
        if (isAbsolute(scratch.scratch)) expect(existsSync(scratch.scratch)).toBe(false);
        else {
          expect(scratch.scratch).toMatch(/^rewind_scratch_[0-9a-f]{16}$/);
          expect(factory.databaseExists, 'a server engine needs databaseExists in its contract factory').toBeDefined();
          expect(await factory.databaseExists!(scratch.scratch)).toBe(false);
        }
      } finally {
        await factory.exec(['DELETE FROM users WHERE id = 998']);
      }
    });

    cases.it('refuses a corrupted backup (one byte flipped) in verify and restore, before touching anything', async () => {
      const corrupt = corruptCopy(backup, work);
      const verdict = await engine.verify(corrupt);
      expect(verdict.ok).toBe(false);
      expect(verdict.reason).toMatch(/checksum/);

      await factory.exec(["INSERT INTO users (id, email, name) VALUES (5000, 'marker@example.com', 'marker')"]);
      await expectCode(engine.restore(corrupt), 'REWIND_E_BACKUP_CORRUPT');
      expect(await factory.query('SELECT email FROM users WHERE id = 5000')).toEqual([{ email: 'marker@example.com' }]);
      await factory.exec(['DELETE FROM users WHERE id = 5000']);
    });

    cases.it('refuses a missing backup and an unreadable one whose checksum matches', async () => {
      const missing = await engine.verify({ ...backup, path: join(work, 'gone') });
      expect(missing.ok).toBe(false);
      const junkPath = join(work, `junk${engine.extension || '.bin'}`);
      writeFileSync(junkPath, 'this is not a database dump\n'.repeat(100));
      const junk: BackupArtifact = { ...backup, path: junkPath, sha256: createHash('sha256').update(readFileSync(junkPath)).digest('hex'), size: statSync(junkPath).size };
      const verdict = await engine.verify(junk);
      expect(verdict.ok).toBe(false);
      expect(verdict.reason).not.toMatch(/checksum/);
    });

    cases.it('records a critical table created after the backup as absent, and restoring the backup makes it absent again', async () => {
      const destination = join(work, 'backups', `before-later${engine.extension}`);
      const before = await engine.backup(destination, ['users', 'later_table']);
      expect(before.snapshot.rowCounts).toEqual({ users: 50, later_table: null });
      // What a release's first migration does: create the table, and the app writes to it.
      await factory.exec(['CREATE TABLE later_table (id INTEGER PRIMARY KEY)', 'INSERT INTO later_table (id) VALUES (1), (2)']);
      expect((await engine.snapshot(['users', 'later_table'])).rowCounts).toEqual({ users: 50, later_table: 2 });

      await engine.restore(before.artifact);
      expect(await engine.snapshot(['users', 'later_table'])).toEqual(before.snapshot);
      await expect(factory.query('SELECT * FROM later_table')).rejects.toThrow();
    });

    cases.it('leaves nothing behind when a backup cannot be taken', async () => {
      const destination = join(work, 'backups', `failed${engine.extension}`);
      await expectCode(factory.engine({ unreachable: true }).backup(destination, CRITICAL), 'REWIND_E_DB_UNREACHABLE');
      expect(existsSync(destination)).toBe(false);
      expect(existsSync(`${destination}.partial`)).toBe(false);
      await expectCode(engine.backup(destination, ['users', 'a.b.c']), 'REWIND_E_CONFIG_INVALID');
      expect(existsSync(destination)).toBe(false);
      expect(existsSync(`${destination}.partial`)).toBe(false);
    });
  });
}

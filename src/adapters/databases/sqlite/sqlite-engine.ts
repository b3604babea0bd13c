import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabaseConfig } from './sqlite-config.js';
import { RewindError } from '../../../errors/rewind-error.js';
import type { BackupArtifact, BackupResult, DatabaseEngine, DatabaseSnapshot, MigrationTableState, RowCounts } from '../../../ports/database-engine.js';
import type { CommandSpec } from '../../../ports/executor.js';
import { nullPrototypeRecord } from '../../../util/own-property.js';
import { openSqliteDatabase } from '../../../util/sqlite-database.js';
import { MIGRATION_TABLES } from '../../../migrations/history-readers.js';
import { assertIntact, checksumProblem, sha256File } from '../backup-digest.js';
import { discardPartial, finalize, partialPath } from '../partial-dump.js';
import { splitTableName, stableRows } from '../snapshot-rows.js';

type Database = BetterSqlite3.Database;
const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function openDatabase(path: string, options: BetterSqlite3.Options = {}): Promise<Database> {
  const db = await openSqliteDatabase(path, options);
  db.pragma('busy_timeout = 10000');
  return db;
}

/**
 * SQLite in process through better-sqlite3's online backup API (no shell-out, so describe* return []).
 *
 * Backup: `db.backup()` copies the live database page by page under SQLite's own locking, so the app
 * may keep writing; the copy is switched to rollback-journal mode so it is one self-contained file.
 * The sha256 is computed after, by reading the copy once: the backup API writes the file itself, in C,
 * and there is no stream to hash on the way. That is acceptable here (SQLite files are small next to
 * server dumps); the row counts are read from the copy, so they describe exactly what it holds.
 *
 * Restore: the backup API again, from the backup file into the live file. It goes through SQLite's
 * locking and WAL, so connections that stay open (another process) see the restored content at their
 * next transaction; replacing the file by rename would leave them reading the old inode and could
 * pair the new file with a stale -wal.
 */
export class SqliteEngine implements DatabaseEngine {
  readonly engine = 'sqlite' as const;
  readonly extension = '.sqlite';

  constructor(private readonly config: SqliteDatabaseConfig) {}

  describeBackup(_destination: string): CommandSpec[][] {
    return [];
  }

  describeRestore(_backup: BackupArtifact): CommandSpec[][] {
    return [];
  }

  private async openLive(readonly: boolean): Promise<Database> {
    if (!existsSync(this.config.path)) {
      throw new RewindError('REWIND_E_DB_UNREACHABLE', `SQLite database ${this.config.path} does not exist`, { engine: 'sqlite', where: this.config.path });
    }
    try {
      return await openDatabase(this.config.path, { readonly, fileMustExist: true });
    } catch (error) {
      throw new RewindError('REWIND_E_DB_UNREACHABLE', `cannot open SQLite database ${this.config.path}: ${(error as Error).message}`, { engine: 'sqlite', where: this.config.path });
    }
  }

  async ping(): Promise<void> {
    const db = await this.openLive(true);
    try {
      db.prepare('SELECT 1').get();
    } catch (error) {
      throw new RewindError('REWIND_E_DB_UNREACHABLE', `cannot read SQLite database ${this.config.path}: ${(error as Error).message}`, { engine: 'sqlite', where: this.config.path });
    } finally {
      db.close();
    }
  }

  async backup(destination: string, criticalTables: readonly string[]): Promise<BackupResult> {
    await mkdir(dirname(destination), { recursive: true });
    await discardPartial(destination);
    const partial = partialPath(destination);
    try {
      const live = await this.openLive(false);
      try {
        await live.backup(partial);
      } catch (error) {
        throw new RewindError('REWIND_E_BACKUP_FAILED', `SQLite backup of ${this.config.path} failed: ${(error as Error).message}`, { engine: 'sqlite' });
      } finally {
        live.close();
      }
      const copy = await openDatabase(partial, { fileMustExist: true });
      let snapshot: DatabaseSnapshot;
      try {
        copy.pragma('journal_mode = DELETE');
        snapshot = readSnapshot(copy, criticalTables);
      } finally {
        copy.close();
      }
      const sha256 = await sha256File(partial);
      const { size } = await stat(partial);
      await finalize(destination);
      return { artifact: { path: destination, size, sha256, format: 'sqlite-file' }, snapshot };
    } catch (error) {
      await discardPartial(destination);
      throw error;
    }
  }

  async verify(backup: BackupArtifact): Promise<{ ok: boolean; reason?: string }> {
    const problem = await checksumProblem(backup);
    if (problem) return { ok: false, reason: problem };
    if (backup.format !== 'sqlite-file') return { ok: false, reason: `format ${backup.format} is not a SQLite format` };
    let db: Database | undefined;
    try {
      db = await openDatabase(backup.path, { readonly: true, fileMustExist: true });
      const result = db.pragma('integrity_check', { simple: true });
      return result === 'ok' ? { ok: true } : { ok: false, reason: `PRAGMA integrity_check on ${backup.path}: ${String(result)}` };
    } catch (error) {
      return { ok: false, reason: `cannot open ${backup.path} as SQLite: ${(error as Error).message}` };
    } finally {
      db?.close();
    }
  }

  async restore(backup: BackupArtifact): Promise<void> {
    await assertIntact(backup);
    if (backup.format !== 'sqlite-file') throw new RewindError('REWIND_E_BACKUP_CORRUPT', `format ${backup.format} is not a SQLite format`, { path: backup.path });
    const source = await openDatabase(backup.path, { readonly: true, fileMustExist: true });
    try {
      await mkdir(dirname(this.config.path), { recursive: true });
      await source.backup(this.config.path);
    } catch (error) {
      throw new RewindError('REWIND_E_RESTORE_FAILED', `restore of ${backup.path} into ${this.config.path} failed: ${(error as Error).message}`, { engine: 'sqlite', atomic: true });
    } finally {
      source.close();
    }
  }

  async snapshot(criticalTables: readonly string[]): Promise<DatabaseSnapshot> {
    const db = await this.openLive(true);
    try {
      return db.transaction(() => readSnapshot(db, criticalTables))();
    } finally {
      db.close();
    }
  }

  async restoreIntoScratch(backup: BackupArtifact, criticalTables: readonly string[]): Promise<DatabaseSnapshot & { scratch: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-scratch-'));
    const scratchPath = join(dir, 'scratch.sqlite');
    try {
      const scratch = new SqliteEngine({ ...this.config, path: scratchPath });
      await scratch.restore(backup);
      return { ...(await scratch.snapshot(criticalTables)), scratch: scratchPath };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    // Connections are per call; nothing stays open between operations.
  }
}

function readSnapshot(db: Database, criticalTables: readonly string[]): DatabaseSnapshot {
  const rowCounts: RowCounts = nullPrototypeRecord<number | null>(); // keyed by table names from rewind.yaml, `__proto__` included
  for (const table of criticalTables) {
    const parts = splitTableName(table);
    const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['main', parts[0]!];
    const exists = db.prepare(`SELECT 1 FROM ${quoteIdent(schema)}.sqlite_master WHERE type = 'table' AND name = ?`).get(name);
    if (!exists) {
      rowCounts[table] = null;
      continue;
    }
    const row = db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(name)}`).get() as { n: number };
    rowCounts[table] = Number(row.n);
  }
  const placeholders = MIGRATION_TABLES.map(() => '?').join(', ');
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${placeholders}) ORDER BY name`).all(...MIGRATION_TABLES) as { name: string }[];
  const migrationState: MigrationTableState[] = tables.map(({ name }) => {
    const statement = db.prepare(`SELECT * FROM ${quoteIdent(name)}`);
    return { name, columns: statement.columns().map((c) => c.name), rows: stableRows(statement.all() as Record<string, unknown>[]) };
  });
  return { migrationState, rowCounts };
}

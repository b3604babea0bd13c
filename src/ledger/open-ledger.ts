import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { RewindError } from '../errors/rewind-error.js';
import type { Ledger } from '../ports/ledger.js';
import { redactor } from '../util/redact.js';
import { openSqliteDatabase } from '../util/sqlite-database.js';
import { KyselyLedger } from './kysely-ledger.js';
import { guardLedger, ledgerLocation } from './ledger-boundary.js';
import { LATEST_LEDGER_MIGRATION, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, ledgerMigrationProvider } from './ledger-migrations.js';
import type { LedgerTables } from './ledger-tables.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/**
 * Opens the ledger at `location` (a SQLite file path or a postgres:// URL) and brings its schema up
 * to date. Drivers are imported here, lazily, so commands that never touch the ledger stay fast.
 */
export async function openLedger(location: string): Promise<Ledger> {
  const dialect = isPostgresUrl(location) ? 'postgres' : 'sqlite';
  let db: Kysely<LedgerTables>;
  try {
    db = dialect === 'postgres' ? await postgresKysely(location) : await sqliteKysely(location);
  } catch (error) {
    throw ledgerError(location, error);
  }
  try {
    await migrateIfBehind(db, dialect);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw ledgerError(location, error);
  }
  return guardLedger(new KyselyLedger(db, dialect), location);
}

function ledgerError(location: string, error: unknown): RewindError {
  const message = error instanceof Error ? error.message : String(error);
  return new RewindError('REWIND_E_LEDGER', redactor.redact(`cannot open ledger ${ledgerLocation(location)}: ${message}`), { ledger: ledgerLocation(location) });
}

async function sqliteKysely(file: string): Promise<Kysely<LedgerTables>> {
  mkdirSync(dirname(file), { recursive: true });
  const database = await openSqliteDatabase(file);
  // WAL lets readers (status, history) run while a deploy writes; busy_timeout makes two writers queue
  // instead of failing, which the lock protocol relies on.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('synchronous = NORMAL');
  return new Kysely<LedgerTables>({ dialect: new ImmediateSqliteDialect({ database }) });
}

/**
 * Every ledger transaction reads then writes. A deferred BEGIN takes the write lock only at the first
 * write, and if another process committed in between SQLite fails at once with "database is locked"
 * (busy_timeout cannot help a stale snapshot). BEGIN IMMEDIATE takes the write lock up front, where
 * busy_timeout does apply, so concurrent writers queue.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqliteConfig: SqliteDialectConfig) {
    super(sqliteConfig);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.sqliteConfig);
  }
}

async function postgresKysely(url: string): Promise<Kysely<LedgerTables>> {
  const pg = await import('pg');
  const { Pool, types } = pg.default;
  // Times are bigint columns holding epoch milliseconds, well inside Number's exact range.
  const parsers = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === types.builtins.INT8 ? (value: string) => Number(value) : types.getTypeParser(oid, format as 'text'),
  };
  // A server that accepts the connection and never answers (a hung host, a proxy in front of a dead
  // one) must not hang every command: connecting gives up after 10 s (REWIND_LEDGER_CONNECT_TIMEOUT_MS),
  // and the ledger boundary reports it as REWIND_E_LEDGER.
  const connectionTimeoutMillis = Number(process.env.REWIND_LEDGER_CONNECT_TIMEOUT_MS) > 0 ? Number(process.env.REWIND_LEDGER_CONNECT_TIMEOUT_MS) : 10_000;
  const pool = new Pool({ connectionString: url, max: 4, types: parsers as never, connectionTimeoutMillis });
  // An idle pooled connection that the server ends (restart, failover, DROP DATABASE … FORCE) emits
  // 'error' on the pool; unhandled, that would crash a long deploy. The next query reconnects or fails loudly.
  pool.on('error', () => undefined);
  return new Kysely<LedgerTables>({ dialect: new PostgresDialect({ pool }) });
}

async function migrateIfBehind(db: Kysely<LedgerTables>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // The common case is an up-to-date ledger: one cheap read instead of the migrator's full check.
  try {
    const row = await (db as Kysely<any>)
      .selectFrom(MIGRATION_TABLE)
      .select('name')
      .where('name', '=', LATEST_LEDGER_MIGRATION)
      .executeTakeFirst();
    if (row) return;
  } catch {
    // No migration table yet: fall through to migrate.
  }
  const migrator = new Migrator({
    db,
    provider: ledgerMigrationProvider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

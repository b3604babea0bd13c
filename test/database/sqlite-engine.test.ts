import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEngine } from '../../src/adapters/databases/sqlite/sqlite-engine.js';
import { sqliteDatabaseSchema } from '../../src/config/config-schema.js';
import { databaseEngineContract } from '../contracts/database-engine-contract.js';

// The contract on a SQLite file in WAL mode. The test keeps its own connection open the whole time,
// as an app would: a restore must reach it through SQLite's locking, not by swapping the file under it.
// Made by create() (never, when REWIND_PROVIDERS leaves sqlite out: nothing would remove it).
let dir: string;
let file: string;
let connection: Database.Database | undefined;
const db = (): Database.Database => {
  if (!connection) {
    connection = new Database(file);
    connection.pragma('journal_mode = WAL');
  }
  return connection;
};

databaseEngineContract({
  name: 'sqlite (WAL, connection held open)',
  provider: 'sqlite',
  create: async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-sqlite-engine-'));
    file = join(dir, 'app.db');
    db();
  },
  drop: async () => {
    connection?.close();
    rmSync(dir, { recursive: true, force: true });
  },
  engine: (overrides = {}) => new SqliteEngine(sqliteDatabaseSchema.parse({ engine: 'sqlite', path: overrides.unreachable ? join(dir, 'missing', 'nope.db') : file })),
  exec: async (statements) => {
    for (const statement of statements) db().exec(statement);
  },
  query: async (sql) => db().prepare(sql).all() as Record<string, unknown>[],
});

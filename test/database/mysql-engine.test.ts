import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { MysqlEngine } from '../../src/adapters/databases/mysql/mysql-engine.js';
import { mysqlDatabaseSchema } from '../../src/config/config-schema.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { databaseEngineContract } from '../contracts/database-engine-contract.js';
import { mysqlUrl } from '../support/services.js';

// The contract on a real MariaDB / MySQL: a database of its own per run, dropped afterwards.
const database = `rewind_dbc_${randomBytes(5).toString('hex')}`;

const urlFor = (db: string, overrides: { port?: string; password?: string } = {}): string => mysqlUrl(db, overrides);

async function withConnection<T>(url: string, work: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const u = new URL(url);
  const connection = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1) || undefined,
  });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

databaseEngineContract({
  name: 'mysql (MariaDB), gzip',
  provider: 'mysql',
  create: () => withConnection(urlFor(''), (c) => c.query(`CREATE DATABASE ${database}`)).then(() => undefined),
  drop: () => withConnection(urlFor(''), (c) => c.query(`DROP DATABASE IF EXISTS ${database}`)).then(() => undefined),
  engine: (overrides = {}) => {
    const url = urlFor(database, { port: overrides.unreachable ? '1' : undefined, password: overrides.password });
    // As adapters/registry.ts wires it: the password by reference, read when a tool starts.
    return new MysqlEngine(mysqlDatabaseSchema.parse({ engine: 'mysql', url }), new ProcessExecutor({ resolve: () => decodeURIComponent(new URL(url).password) }), {
      passwordRef: { secret: 'environments.test.database.url#password' },
    });
  },
  exec: (statements) =>
    withConnection(urlFor(database), async (c) => {
      for (const statement of statements) await c.query(statement);
    }),
  query: (sql) => withConnection(urlFor(database), async (c) => (await c.query(sql))[0] as Record<string, unknown>[]),
});

import type { DatabaseConfig, EnvironmentConfig } from '../config/config-schema.js';
import { RewindError } from '../errors/rewind-error.js';
import type { DatabaseEngine, DatabaseEngineName } from '../ports/database-engine.js';
import type { StreamingExecutor } from '../ports/executor.js';
import { registeredAdapter } from './registered-adapter.js';
import type { SecretRef } from '../ports/secret-ref.js';
import { databasePasswordRef } from '../config/config-secrets.js';
import { MysqlEngine } from './databases/mysql-engine.js';
import { PostgresEngine } from './databases/postgres-engine.js';
import { SqliteEngine } from './databases/sqlite-engine.js';

type EngineFactory = (config: DatabaseConfig, executor: StreamingExecutor, passwordRef: SecretRef) => DatabaseEngine;

/** Database adapters registered by their `engine`; config picks one, nothing branches on engine strings elsewhere. */
const ENGINES: Record<DatabaseEngineName, EngineFactory> = {
  postgres: (config, executor, passwordRef) => new PostgresEngine(config as Extract<DatabaseConfig, { engine: 'postgres' }>, executor, { passwordRef }),
  mysql: (config, executor, passwordRef) => new MysqlEngine(config as Extract<DatabaseConfig, { engine: 'mysql' }>, executor, { passwordRef }),
  sqlite: (config) => new SqliteEngine(config as Extract<DatabaseConfig, { engine: 'sqlite' }>),
};

export function createDatabaseEngine(env: string, config: EnvironmentConfig, executor: StreamingExecutor): DatabaseEngine {
  if (!config.database) {
    throw new RewindError('REWIND_E_NO_DATABASE', `environment ${JSON.stringify(env)} has no database configured (environments.${env}.database)`, { env });
  }
  // The engine's commands name the password by its place in the config; the executor reads it there when it runs them.
  return registeredAdapter(ENGINES, config.database.engine, 'database.engine')(config.database, executor, databasePasswordRef(env));
}

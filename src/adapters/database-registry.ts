import type { DatabaseConfig, EnvironmentConfig } from '../config/config-schema.js';
import { RewindError } from '../errors/rewind-error.js';
import type { DatabaseEngine, DatabaseEngineName } from '../ports/database-engine.js';
import type { StreamingExecutor } from '../ports/executor.js';
import { registeredAdapter } from './registered-adapter.js';
import { MysqlEngine } from './databases/mysql-engine.js';
import { PostgresEngine } from './databases/postgres-engine.js';
import { SqliteEngine } from './databases/sqlite-engine.js';

type EngineFactory = (config: DatabaseConfig, executor: StreamingExecutor) => DatabaseEngine;

/** Database adapters registered by their `engine`; config picks one, nothing branches on engine strings elsewhere. */
const ENGINES: Record<DatabaseEngineName, EngineFactory> = {
  postgres: (config, executor) => new PostgresEngine(config as Extract<DatabaseConfig, { engine: 'postgres' }>, executor),
  mysql: (config, executor) => new MysqlEngine(config as Extract<DatabaseConfig, { engine: 'mysql' }>, executor),
  sqlite: (config) => new SqliteEngine(config as Extract<DatabaseConfig, { engine: 'sqlite' }>),
};

export function createDatabaseEngine(env: string, config: EnvironmentConfig, executor: StreamingExecutor): DatabaseEngine {
  if (!config.database) {
    throw new RewindError('REWIND_E_NO_DATABASE', `environment ${JSON.stringify(env)} has no database configured (environments.${env}.database)`, { env });
  }
  return registeredAdapter(ENGINES, config.database.engine, 'database.engine')(config.database, executor);
}

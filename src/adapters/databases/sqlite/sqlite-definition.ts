import type { DatabaseDefinition } from '../../../ports/adapter-definition.js';
import { resolveBackupPaths } from '../database-paths.js';
import { SQLITE_ENGINE, sqliteDatabaseSchema, type SqliteDatabaseConfig } from './sqlite-config.js';

/** A SQLite file through better-sqlite3's online backup API; no password, no tools. */
export const sqliteDatabaseDefinition: DatabaseDefinition<SqliteDatabaseConfig> = {
  kind: 'database',
  name: SQLITE_ENGINE,
  type: SQLITE_ENGINE,
  configSchema: sqliteDatabaseSchema,
  resolvePaths(config, at) {
    resolveBackupPaths(config, at);
    config.path = at.abs(config.path);
  },
  capabilities: undefined,
  load: async () => {
    const { SqliteEngine } = await import('./sqlite-engine.js');
    return (config) => new SqliteEngine(config);
  },
};

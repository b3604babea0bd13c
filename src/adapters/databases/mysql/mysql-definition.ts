import type { DatabaseDefinition } from '../../../ports/adapter-definition.js';
import { urlPassword, urlSecrets } from '../../../config/parts/secret-policy.js';
import { resolveBackupPaths } from '../database-paths.js';
import { MYSQL_ENGINE, mysqlDatabaseSchema, type MysqlDatabaseConfig } from './mysql-config.js';

/** MySQL or MariaDB through mariadb-dump / mysqldump and their client. */
export const mysqlDatabaseDefinition: DatabaseDefinition<MysqlDatabaseConfig> = {
  kind: 'database',
  name: MYSQL_ENGINE,
  type: MYSQL_ENGINE,
  configSchema: mysqlDatabaseSchema,
  resolvePaths(config, at) {
    resolveBackupPaths(config, at);
    if (config.binDir) config.binDir = at.abs(config.binDir);
  },
  secrets: (config) => urlSecrets(config.url),
  password: (config) => urlPassword(config.url),
  capabilities: undefined,
  load: async () => {
    const { MysqlEngine } = await import('./mysql-engine.js');
    return (config, deps) => new MysqlEngine(config, deps.executor, { passwordRef: deps.passwordRef });
  },
};

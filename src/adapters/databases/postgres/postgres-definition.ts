import { join } from 'node:path';
import type { DatabaseDefinition } from '../../../ports/adapter-definition.js';
import { urlPassword, urlSecrets } from '../../../config/parts/secret-policy.js';
import { resolveBackupPaths } from '../database-paths.js';
import { POSTGRES_ENGINE, postgresDatabaseSchema, type PostgresDatabaseConfig } from './postgres-config.js';

/** PostgreSQL through pg_dump / pg_restore / psql, with point-in-time recovery from archived WAL. */
export const postgresDatabaseDefinition: DatabaseDefinition<PostgresDatabaseConfig> = {
  kind: 'database',
  name: POSTGRES_ENGINE,
  type: POSTGRES_ENGINE,
  configSchema: postgresDatabaseSchema,
  resolvePaths(config, at) {
    resolveBackupPaths(config, at);
    if (config.binDir) config.binDir = at.abs(config.binDir);
    if (config.pitr) {
      const pitr = config.pitr;
      pitr.archiveDir = at.abs(pitr.archiveDir);
      pitr.baseBackupDir = at.abs(pitr.baseBackupDir ?? join(config.backupDir!, 'base'));
      pitr.restoreDir = at.abs(pitr.restoreDir ?? join(config.backupDir!, 'pitr'));
    }
  },
  secrets: (config) => urlSecrets(config.url),
  password: (config) => urlPassword(config.url),
  capabilities: undefined,
  load: async () => {
    const { PostgresEngine } = await import('./postgres-engine.js');
    return (config, deps) => new PostgresEngine(config, deps.executor, { passwordRef: deps.passwordRef });
  },
};

import type { MigrationsConfig } from '../../config/config-schema.js';
import { readHistory } from '../../migrations/history-readers.js';
import type { MigrationHistory } from '../../migrations/migration-history.js';
import type { DatabaseEngine } from '../../ports/database-engine.js';

/** The history table of the configured tool, read through the engine (null: the tool has not run yet). */
export async function readToolHistory(engine: DatabaseEngine, tool: MigrationsConfig['tool']): Promise<MigrationHistory | null> {
  const snapshot = await engine.snapshot([]);
  for (const table of snapshot.migrationState) {
    const history = readHistory({ name: table.name.split('.').at(-1)!, columns: table.columns, rows: table.rows });
    if (history?.tool === tool) return history;
  }
  return null;
}

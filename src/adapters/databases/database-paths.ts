import { join } from 'node:path';
import type { PathContext } from '../../ports/adapter-definition.js';

/** The paths every engine's config has (config/database-settings.ts): backups/<env> by default, and the operator log. */
export function resolveBackupPaths(config: { backupDir?: string; backupLog: string }, at: PathContext): void {
  config.backupDir = at.abs(config.backupDir ?? join('backups', at.env));
  config.backupLog = at.abs(config.backupLog);
}

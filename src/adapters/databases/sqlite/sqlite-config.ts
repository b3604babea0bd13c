import * as z from 'zod';
import { backupSettings } from '../../../config/parts/database-settings.js';

export const SQLITE_ENGINE = 'sqlite';

export const sqliteDatabaseSchema = z.strictObject({
  engine: z.literal(SQLITE_ENGINE).describe('SQLite through better-sqlite3 (online backup API).'),
  path: z.string().min(1).describe('The database file; relative to the config file.'),
  ...backupSettings,
});

export type SqliteDatabaseConfig = z.infer<typeof sqliteDatabaseSchema>;

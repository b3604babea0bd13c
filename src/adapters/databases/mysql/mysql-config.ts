import * as z from 'zod';
import { backupSettings } from '../../../config/parts/database-settings.js';

export const MYSQL_ENGINE = 'mysql';

export const mysqlDatabaseSchema = z.strictObject({
  engine: z.literal(MYSQL_ENGINE).describe('MySQL or MariaDB: mariadb-dump / mysqldump and the mariadb / mysql client.'),
  url: z.string().regex(/^(mysql|mariadb):\/\//, 'a mysql:// URL').describe('mysql://user:password@host:port/db; the password is passed to tools as MYSQL_PWD and redacted everywhere.'),
  compression: z.enum(['gzip', 'none']).default('gzip').describe('The dump is streamed through gzip (in process) or stored as plain SQL.'),
  compressionLevel: z.number().int().min(1).max(9).default(1).describe('gzip level; 1 is fastest.'),
  binDir: z.string().min(1).optional().describe('Directory holding the dump and client tools (default: found on PATH).'),
  ...backupSettings,
});

export type MysqlDatabaseConfig = z.infer<typeof mysqlDatabaseSchema>;

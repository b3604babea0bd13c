import * as z from 'zod';
import { backupSettings } from '../../../config/parts/database-settings.js';

export const POSTGRES_ENGINE = 'postgres';

export const postgresDatabaseSchema = z.strictObject({
  engine: z.literal(POSTGRES_ENGINE).describe('PostgreSQL: pg_dump / pg_restore / psql.'),
  url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').describe('postgres://user:password@host:port/db; the password is passed to tools as PGPASSWORD and redacted everywhere.'),
  format: z.enum(['custom', 'directory']).default('custom').describe('pg_dump archive format: custom (one file, restored in one transaction) or directory (parallel with `jobs`).'),
  compression: z
    .enum(['auto', 'zstd', 'gzip', 'none'])
    .default('auto')
    .describe('custom format: zstd (pg_dump -Z0 piped through `zstd`, fastest), gzip (pg_dump -Z), none; auto is zstd when the `zstd` tool is installed, else gzip. directory format: gzip or none.'),
  compressionLevel: z.number().int().min(0).max(19).optional().describe('Level for the chosen compression (default: zstd 1, gzip 1).'),
  jobs: z.number().int().min(1).max(64).default(1).describe('Parallel pg_dump/pg_restore jobs; more than 1 needs format: directory.'),
  binDir: z.string().min(1).optional().describe('Directory holding pg_dump, pg_restore and psql (default: found on PATH).'),
  pitr: z
    .strictObject({
      archiveDir: z.string().min(1).describe('The local directory archive_command copies WAL segments into; relative to the config file.'),
      baseBackupDir: z.string().min(1).optional().describe('Where `rewind db pitr base-backup` writes (default <backupDir>/base); relative to the config file.'),
      restoreDir: z.string().min(1).optional().describe('Where `rewind db restore --to-time` creates the recovered data directory (default <backupDir>/pitr); relative to the config file.'),
      restorePort: z.number().int().min(1).max(65535).default(5433).describe('Port the recovered server listens on (loopback only).'),
      osUser: z.string().min(1).optional().describe('Run the recovered server as this OS user; needed when rewind runs as root, which PostgreSQL refuses.'),
    })
    .optional()
    .describe('Point-in-time recovery from continuous WAL archiving.'),
  ...backupSettings,
})
  // Checked here, after the branch parsed (as a refinement of the union was before): each names its key.
  .refine((db) => db.jobs === 1 || db.format === 'directory', { message: 'jobs > 1 needs format: directory', path: ['jobs'] })
  .refine((db) => db.compressionLevel === undefined || db.compressionLevel <= 9 || db.compression === 'zstd' || db.compression === 'auto', {
    message: 'gzip levels are 0–9 (levels up to 19 are for zstd)',
    path: ['compressionLevel'],
  })
  .refine((db) => db.format !== 'directory' || db.compression !== 'zstd', {
    message: 'zstd compression is for format: custom; use gzip or none with format: directory',
    path: ['compression'],
  });

export type PostgresDatabaseConfig = z.infer<typeof postgresDatabaseSchema>;

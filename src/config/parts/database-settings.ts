import * as z from 'zod';
import { argv } from './schema-parts.js';

// What rewind itself does with any database (back up, verify, migrate, restore): the settings every
// engine's schema (adapters/databases/<engine>/<engine>-config.ts) spreads into its own.

// How a release's migrations are found and applied. The tool names the folder layout and the
// history table rewind reads; rewind never guesses which migrations ran.
export const MIGRATION_TOOL_NAMES = ['prisma', 'knex', 'node-pg-migrate', 'golang-migrate', 'flyway', 'drizzle', 'typeorm'] as const;
export const migrationsSchema = z.strictObject({
  tool: z.enum(MIGRATION_TOOL_NAMES).describe('The migration tool: its folder layout and history table.'),
  dir: z.string().min(1).describe('Migrations folder, relative to the release directory (e.g. prisma/migrations).'),
  apply: argv.describe('argv run in the new release directory to apply pending migrations (e.g. ["npx", "prisma", "migrate", "deploy"]); {release_dir} and {version} are substituted per argument.'),
  down: z
    .array(argv)
    .min(1)
    .optional()
    .describe('Commands (argv arrays, run in order in the release directory) that revert exactly one migration, the newest applied, for `rewind db down` and `rollback --db down`; {migration}, {down_file}, {release_dir} and {version} are substituted.'),
  env: z.record(z.string(), z.string()).default({}).describe('Environment for the apply and down commands (e.g. DATABASE_URL: ${DATABASE_URL}); plans name the values by key; secret-looking keys and URL passwords are redacted.'),
  timeoutMs: z.number().int().min(1000).default(600_000).describe('Upper bound for the apply command.'),
  allowBreaking: z
    .boolean()
    .default(false)
    .describe('Deploy a pending migration the lint calls breaking even without a down migration (the deploy preflight refuses it otherwise; --allow-breaking does the same for one deploy).'),
});

// The database a release depends on: backed up before an upgrade, restored when a migration fails.
export const backupSettings = {
  migrations: migrationsSchema.optional().describe('Where the release keeps its migrations and how to apply them; without it, deploys back up but run no migrations.'),
  driftCheck: z.boolean().default(true).describe('Deploy preflight: stop when the live schema differs from the one recorded for the running release (PostgreSQL).'),
  backupDir: z.string().min(1).optional().describe('Where backups are written (default ./backups/<env>); relative to the config file.'),
  backupLog: z.string().min(1).default('./ops/backups.log').describe('Operator log: one JSON line per backup taken or pruned; relative to the config file.'),
  retainDays: z.number().min(0).default(7).describe('Backups younger than this many days are never pruned.'),
  keep: z.number().int().min(1).default(5).describe('The newest N backups are never pruned, however old.'),
  criticalTables: z.array(z.string().min(1)).default([]).describe('Tables whose exact row counts are recorded with each backup and compared after a restore ("schema.table" allowed).'),
  timeoutMs: z.number().int().min(1000).default(3_600_000).describe('Upper bound for one backup, verify or restore command.'),
};

export type MigrationsConfig = z.infer<typeof migrationsSchema>;

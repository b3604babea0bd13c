import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_ADMIN_URL as ADMIN_URL, postgresUrl } from './services.js';

/** The Prisma-compatible migration command the end-to-end tests deploy with (Prisma is not installed here). */
export const MIGRATE = join(import.meta.dirname, '..', 'fixtures', 'prisma-like-migrate.mjs');

export async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface AppDatabase {
  name: string;
  url: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs the migration command over these files, as if applied before rewind was adopted. */
  migrate(files: Record<string, string>): Promise<void>;
  drop(): Promise<void>;
}

/** A database of its own on the local PostgreSQL for one test file, dropped by `drop()`. */
export async function createAppDatabase(prefix: string): Promise<AppDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await withPg(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const db: AppDatabase = {
    name,
    url: postgresUrl(name),
    query: (sql) => withPg(db.url, async (c) => (await c.query(sql)).rows),
    async migrate(files) {
      const dir = await mkdtemp(join(tmpdir(), 'rewind-migrations-'));
      try {
        for (const [file, text] of Object.entries(files)) {
          await mkdir(join(dir, file, '..'), { recursive: true });
          await writeFile(join(dir, file), text);
        }
        execFileSync(process.execPath, [MIGRATE, join(dir, 'prisma', 'migrations')], { env: { ...process.env, DATABASE_URL: db.url } });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    drop: () => withPg(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
  return db;
}

/** The `database:` block of a sandbox environment: PostgreSQL, Prisma-style migrations applied by MIGRATE. */
export function prismaDatabaseYaml(db: AppDatabase, root: string, extra = ''): string {
  return `    database:
      engine: postgres
      url: ${db.url}
      backupDir: ${join(root, 'backups')}
      backupLog: ${join(root, 'ops', 'backups.log')}
      criticalTables: [users]
      migrations:
        tool: prisma
        dir: prisma/migrations
        apply: ["${process.execPath}", "${MIGRATE}", "{release_dir}/prisma/migrations"]${extra}
        env:
          DATABASE_URL: ${db.url}`;
}

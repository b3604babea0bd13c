import { afterAll, beforeAll, expect } from 'vitest';
import { createAppDatabase, MIGRATE, prismaDatabaseYaml, type AppDatabase } from './app-database.js';
import { MATRIX_APP_ENV, privateTmp } from './crash-matrix.js';
import { createSandbox, ENV, type Sandbox } from './sandbox.js';

/**
 * The world of the database crash matrices (real PostgreSQL, real PM2): a Prisma-style app database,
 * a sandbox whose `db down` runs the down SQL and then marks the migration rolled back (with a
 * tripwire between the two that one test arms), and release 1.0.0 deployed. One per test file: the
 * restore, down and rollback matrices are separate files so that the suite's two workers share them
 * out instead of one worker running all three in a row.
 */
export interface DatabaseMatrix {
  readonly db: AppDatabase;
  readonly sandbox: Sandbox;
  /** The CLI processes' TMPDIR, where a killed restore's leftovers would be seen. */
  readonly tmp: string;
  /** The number of the newest release (its table is `t<n>`). */
  readonly n: number;
  /** Every migration of the newest release, by file. */
  readonly migrations: Record<string, string>;
  /** The next release: one more migration, with its down migration (so `db down` may revert it). */
  nextRelease(): Promise<{ version: string; migration: string }>;
  /** The next release, deployed. */
  deployNext(): Promise<{ version: string; migration: string }>;
  /** What a killed rewind must not leave in the database: its psql sessions, a transaction held open. */
  expectNoLeftoverSessions(point: string): Promise<void>;
  /** 1 when `migration` is applied and not rolled back, else 0. */
  applied(migration: string): Promise<number>;
}

/** Sets up (beforeAll) and tears down (afterAll) the world for the calling test file's suite. */
export function useDatabaseMatrix(prefix: string): DatabaseMatrix {
  let db: AppDatabase;
  let sandbox: Sandbox;
  let tmp: string;
  const migrations: Record<string, string> = { 'prisma/migrations/20250101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text);\n' };
  let n = 0;

  beforeAll(async () => {
    db = await createAppDatabase(prefix);
    await db.migrate(migrations);
    // Down commands as Prisma users write them: run the down SQL, then mark the migration rolled back.
    // Between the two, a tripwire one test arms: it SIGKILLs rewind (its parent) exactly there.
    const down = (root: string) => `
        down:
          - [psql, -X, -q, -v, ON_ERROR_STOP=1, -d, "${db.url}", -f, "{down_file}"]
          - [sh, -c, 'if [ -e "$1" ]; then rm -f "$1"; kill -9 $PPID; fi', tripwire, "${root}/kill-after-down-sql"]
          - ["${process.execPath}", "${MIGRATE}", --rolled-back, "{migration}"]`;
    sandbox = await createSandbox({ appEnv: MATRIX_APP_ENV, databaseYaml: (root) => prismaDatabaseYaml(db, root, down(root)) });
    tmp = await privateTmp(sandbox);
    await sandbox.release('1.0.0', { files: { ...migrations } });
    const first = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  const matrix: DatabaseMatrix = {
    get db() {
      return db;
    },
    get sandbox() {
      return sandbox;
    },
    get tmp() {
      return tmp;
    },
    get n() {
      return n;
    },
    migrations,
    async nextRelease() {
      n += 1;
      const migration = `2026020100${String(n).padStart(4, '0')}_t${n}`;
      migrations[`prisma/migrations/${migration}/migration.sql`] = `CREATE TABLE t${n} (id serial PRIMARY KEY);\n`;
      migrations[`prisma/migrations/${migration}/down.sql`] = `DROP TABLE t${n};\n`;
      const version = `3.0.${n}`;
      await sandbox.release(version, { files: { ...migrations } });
      return { version, migration };
    },
    async deployNext() {
      const next = await matrix.nextRelease();
      const deployed = await sandbox.cli(['deploy', ENV, next.version]);
      expect(deployed.code, deployed.stderr).toBe(0);
      return next;
    },
    async expectNoLeftoverSessions(point) {
      const leftovers = await db.query(`SELECT application_name, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (application_name = 'rewind' OR state LIKE 'idle in transaction%')`);
      expect(leftovers, point).toEqual([]);
    },
    async applied(migration) {
      return (await db.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '${migration}' AND rolled_back_at IS NULL`))[0]!.n as number;
    },
  };
  return matrix;
}

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../../src/adapters/databases/postgres/postgres-engine.js';
import { postgresDatabaseSchema } from '../../src/config/config-schema.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import { urlPassword } from '../../src/config/parts/secret-policy.js';
import { rejection } from '../support/rejection.js';
import { databaseEngineContract } from '../contracts/database-engine-contract.js';
import { POSTGRES_ADMIN_URL as ADMIN, postgresUrl } from '../support/services.js';

// The contract on a real PostgreSQL: a database of its own per configuration, dropped afterwards.
const executor = new ProcessExecutor();
const PASSWORD_REF = { secret: 'environments.test.database.url#password' };

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const urlFor = (database: string, overrides: { port?: string; password?: string } = {}): string => postgresUrl(database, overrides);

function postgresContract(label: string, options: Record<string, unknown>): void {
  const database = `rewind_dbc_${randomBytes(5).toString('hex')}`;
  databaseEngineContract({
    name: `postgres ${label}`,
    provider: 'postgres',
    create: () => admin(`CREATE DATABASE ${database}`),
    drop: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
    engine: (overrides = {}) => {
      const url = urlFor(database, { port: overrides.unreachable ? '1' : undefined, password: overrides.password });
      // As adapters/registry.ts wires it: the password by reference, read when a tool starts.
      return new PostgresEngine(postgresDatabaseSchema.parse({ engine: 'postgres', url, ...options }), new ProcessExecutor({ resolve: () => urlPassword(url) }), { passwordRef: PASSWORD_REF });
    },
    exec: async (statements) => {
      const client = new pg.Client({ connectionString: urlFor(database) });
      await client.connect();
      try {
        for (const statement of statements) await client.query(statement);
      } finally {
        await client.end();
      }
    },
    query: async (sql) => {
      const client = new pg.Client({ connectionString: urlFor(database) });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    },
    databaseExists: async (name) => {
      const client = new pg.Client({ connectionString: ADMIN });
      await client.connect();
      try {
        return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
      } finally {
        await client.end();
      }
    },
  });
}

postgresContract('custom format, zstd', { compression: 'zstd' });
postgresContract('custom format, gzip', { compression: 'gzip' });
postgresContract('directory format, 2 jobs', { format: 'directory', jobs: 2 });

// Beyond the contract: a restore whose stream breaks midway must change nothing. The backup below has
// a byte flipped *and* a matching sha256, so it passes the checksum gate and fails inside the restore.
describe('postgres restore is one transaction', () => {
  const database = `rewind_dbc_${randomBytes(5).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'rewind-pg-atomic-'));
  const url = urlFor(database);
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    await run(`CREATE TABLE items AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 20000) g`);
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(work, { recursive: true, force: true });
  });

  it('rolls back everything when the dump stream fails partway', async () => {
    const engine = new PostgresEngine(postgresDatabaseSchema.parse({ engine: 'postgres', url, compression: 'zstd' }), executor);
    const { artifact } = await engine.backup(join(work, 'good.dump.zst'), ['items']);
    const broken = join(work, 'broken.dump.zst');
    const bytes = readFileSync(artifact.path);
    bytes[Math.floor(bytes.length * 0.75)] ^= 0xff;
    writeFileSync(broken, bytes);
    const forged = { ...artifact, path: broken, sha256: createHash('sha256').update(bytes).digest('hex') };

    await run(`INSERT INTO items VALUES (-1, 'marker')`);
    await run(`CREATE TABLE after_backup (id int)`);
    const error = await rejection(engine.restore(forged));
    expect(error.code).toBe('REWIND_E_RESTORE_FAILED');
    expect(error.message).toMatch(/nothing changed/);
    expect(await run(`SELECT count(*)::int AS n FROM items`)).toEqual([{ n: 20001 }]);
    expect(await run(`SELECT body FROM items WHERE id = -1`)).toEqual([{ body: 'marker' }]);
    expect(await run(`SELECT count(*)::int AS n FROM after_backup`)).toEqual([{ n: 0 }]);
  });

  it('rolls back, and does not hang, when psql stops on an error before it reads the commit decision', async () => {
    // The archive is intact, but it gives a table to a role that no longer exists: psql stops there
    // (ON_ERROR_STOP) while pg_restore still succeeds, so rewind decides COMMIT for a psql that is gone.
    const role = `rewind_gone_${randomBytes(4).toString('hex')}`;
    await admin(`CREATE ROLE ${role}`);
    try {
      await run(`CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO ${role}`);
      const engine = new PostgresEngine(postgresDatabaseSchema.parse({ engine: 'postgres', url, compression: 'zstd' }), executor);
      const { artifact } = await engine.backup(join(work, 'owned.dump.zst'), ['items']);
      await run(`DROP TABLE owned`);
      await admin(`DROP ROLE ${role}`);
      await run(`CREATE TABLE after_owned (id int)`);
      const error = await rejection(engine.restore(artifact));
      expect(error.code).toBe('REWIND_E_RESTORE_FAILED');
      expect(error.message).toMatch(/nothing changed/);
      expect(error.message).toContain(role);
      // Nothing of the backup arrived, nothing of now was dropped.
      expect(await run(`SELECT to_regclass('owned')::text AS t, to_regclass('after_owned')::text AS a`)).toEqual([{ t: null, a: 'after_owned' }]);
    } finally {
      await admin(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
  }, 60_000);
});

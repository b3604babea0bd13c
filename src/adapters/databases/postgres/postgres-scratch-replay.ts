import { scratchDatabaseName } from '../scratch-database-name.js';
import { readFile } from 'node:fs/promises';
import type { DatabaseSchema } from '../../../ports/database-schema.js';
import { RewindError } from '../../../errors/rewind-error.js';
import type { MigrationFile } from '../../../migrations/migration-history.js';
import { redactor } from '../../../util/redact.js';
import { connectPostgres, describePostgresUrl, readPostgresSchema, type ReadSchemaOptions } from './postgres-schema-reader.js';


export interface ScratchReplayOptions extends ReadSchemaOptions {
  /**
   * Any database on the server (usually the live one): its credentials create the scratch database
   * beside it (they need CREATEDB) and its path is swapped for the scratch database's name. The same
   * server means the same version, roles and extensions as the database the schema is compared with.
   */
  url: string;
  /** In the order they are applied. Only `id` and `upPath` are used. */
  migrations: readonly Pick<MigrationFile, 'id' | 'upPath'>[];
  /** CREATE DATABASE template; the server's default (template1) unless told, as the live database most likely was. */
  template?: string;
  /** Called with the scratch database's name once it exists (tests, progress lines). */
  onCreated?: (database: string) => void;
}

export interface ScratchReplayResult {
  /** The schema the migrations build from an empty database. */
  schema: DatabaseSchema;
  /** The scratch database's name; it no longer exists. */
  database: string;
  durationMs: number;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** 1-based line of a character offset (PostgreSQL's error `position` is 1-based too). */
function lineOf(sql: string, position: number): number {
  return sql.slice(0, Math.max(0, position - 1)).split('\n').length;
}

/**
 * Builds an empty scratch database on the server of `url`, applies each migration's up SQL in
 * order (each in its own transaction, as the tools apply them), reads the resulting schema, and
 * drops the scratch database whatever happened. A migration that cannot be read or fails is
 * REWIND_E_REPLAY_FAILED naming its id, file and, when PostgreSQL says, the line.
 *
 * Not for migrations that must run outside a transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE …
 * ADD VALUE before PostgreSQL 12): they fail here with PostgreSQL's own message.
 */
export async function replayPostgresMigrations(options: ScratchReplayOptions): Promise<ScratchReplayResult> {
  const started = Date.now();
  const database = scratchDatabaseName();
  const scratchUrl = new URL(options.url);
  scratchUrl.pathname = `/${database}`;
  const where = describePostgresUrl(options.url);

  const admin = await connectPostgres(options.url);
  try {
    const template = options.template ? ` TEMPLATE ${quoteIdent(options.template)}` : '';
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(database)}${template}`);
    } catch (error) {
      throw new RewindError('REWIND_E_REPLAY_FAILED', redactor.redact(`cannot create the scratch database ${database} on ${where}: ${(error as Error).message}`), { database });
    }
    options.onCreated?.(database);
    let schema: DatabaseSchema | undefined;
    let failure: unknown;
    try {
      schema = await applyAndRead(scratchUrl.toString(), database, options);
    } catch (error) {
      failure = error;
    }
    try {
      await dropScratch(admin, database);
    } catch (error) {
      const message = `could not drop the scratch database ${database} on ${where}; drop it by hand: ${(error as Error).message}`;
      // The migration's own failure stays the error reported; the leftover is named beside it.
      if (failure instanceof RewindError) failure.details.scratchLeftBehind = message;
      else if (failure === undefined) throw new RewindError('REWIND_E_REPLAY_FAILED', redactor.redact(message), { database });
    }
    if (failure !== undefined) throw failure;
    return { schema: schema!, database, durationMs: Date.now() - started };
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function applyAndRead(url: string, database: string, options: ScratchReplayOptions): Promise<DatabaseSchema> {
  const client = await connectPostgres(url);
  try {
    for (const migration of options.migrations) {
      let sql: string;
      try {
        sql = await readFile(migration.upPath, 'utf8');
      } catch (error) {
        throw new RewindError('REWIND_E_REPLAY_FAILED', `cannot read migration ${migration.id} (${migration.upPath}): ${(error as Error).message}`, {
          migration: migration.id,
          path: migration.upPath,
          database,
        });
      }
      try {
        // One simple-protocol query runs the whole file, however many statements it has.
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const pgError = error as Error & { position?: string; code?: string };
        const line = pgError.position ? lineOf(sql, Number(pgError.position)) : await locateFailure(client, sql);
        throw new RewindError(
          'REWIND_E_REPLAY_FAILED',
          redactor.redact(`migration ${migration.id} (${migration.upPath}${line ? `, line ${line}` : ''}) failed in the scratch replay: ${pgError.message}`),
          { migration: migration.id, path: migration.upPath, line, sqlState: pgError.code, database },
        );
      }
    }
    return await readPostgresSchema(client, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// Whitespace and comments before a statement's first token: the line reported is the statement's own.
const LEADING_NOISE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/**
 * Which line of `sql` failed, when PostgreSQL gave no position (most errors other than syntax
 * errors: a missing relation, a violated constraint). Only on failure, so the happy path stays one
 * query per file exactly as the tools run it: the file is split with PostgreSQL's own parser
 * (libpg-query, the linter's) and re-run statement by statement in a transaction that is always
 * rolled back, until one fails. Undefined when the file does not parse or the failure does not repeat.
 */
async function locateFailure(client: Awaited<ReturnType<typeof connectPostgres>>, sql: string): Promise<number | undefined> {
  try {
    const { loadPgParser } = await import('../../../lint/postgres/pg-parser-module.js');
    const stmts = (await loadPgParser()).parseSync(sql).stmts ?? [];
    // stmt_location and stmt_len count UTF-8 bytes, not characters.
    const bytes = Buffer.from(sql, 'utf8');
    await client.query('BEGIN');
    try {
      for (const stmt of stmts) {
        const start = stmt.stmt_location ?? 0;
        const text = bytes.subarray(start, stmt.stmt_len ? start + stmt.stmt_len : bytes.length).toString('utf8');
        try {
          await client.query(text);
        } catch (error) {
          const before = bytes.subarray(0, start).toString('utf8').length;
          const position = (error as { position?: string }).position;
          return lineOf(sql, before + (position ? Number(position) : LEADING_NOISE.exec(text)![0].length + 1));
        }
      }
      return undefined;
    } finally {
      await client.query('ROLLBACK');
    }
  } catch {
    return undefined;
  }
}

/**
 * Drops the scratch database. WITH (FORCE) (PostgreSQL 13+) ends any session still in it, e.g.
 * one a migration opened through dblink; older servers get a plain DROP, our own session being closed.
 */
export async function dropScratch(admin: Awaited<ReturnType<typeof connectPostgres>>, database: string): Promise<void> {
  const { rows } = await admin.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
  const force = (rows[0]?.v ?? 0) >= 130000 ? ' WITH (FORCE)' : '';
  await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}${force}`);
}

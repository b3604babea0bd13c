import { scratchDatabaseName } from '../scratch-database-name.js';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import type { PostgresDatabaseConfig } from './postgres-config.js';
import { RewindError } from '../../../errors/rewind-error.js';
import type { BackupArtifact, BackupResult, DatabaseEngine, DatabaseSnapshot, MigrationTableState, RowCounts } from '../../../ports/database-engine.js';
import type { DatabaseSchema } from '../../../ports/database-schema.js';
import type { PitrSupport } from '../../../ports/database-pitr.js';
import type { CommandResult, CommandSpec, PipelineResult, StreamingExecutor } from '../../../ports/executor.js';
import type { SecretRef } from '../../../ports/secret-ref.js';
import { urlPassword } from '../../../config/parts/secret-policy.js';
import { redactor } from '../../../util/redact.js';
import { stageSucceeded } from '../../../exec/process-executor.js';
import { nullPrototypeRecord } from '../../../util/own-property.js';
import { CommitDecision } from '../commit-decision.js';
import { MIGRATION_TABLES } from '../../../migrations/history-readers.js';
import { assertIntact, checksumProblem, directoryManifestDigest, writeHashed } from '../backup-digest.js';
import { findTool, pipelineFailure } from '../client-tools.js';
import { discardPartial, finalize, partialPath } from '../partial-dump.js';
import { splitTableName, stableRows } from '../snapshot-rows.js';

type Compression = 'zstd' | 'gzip' | 'none';

/**
 * Replaces whatever the database holds before the dump is replayed, inside the restore's single
 * transaction: every non-system schema is dropped (so tables a failed migration created go too,
 * which `pg_restore --clean` would leave behind) and `public` is recreated as PostgreSQL creates it.
 * pg_dump never emits `CREATE SCHEMA public`, only changes to its defaults, so this plus the dump is
 * exactly the database that was dumped. Needs the rights to drop the schemas (owner or superuser).
 * A session that still holds locks (the app was not stopped) makes it fail after lock_timeout, with
 * nothing changed, instead of waiting behind it; the dump's own script then resets lock_timeout.
 */
export const POSTGRES_RESET_SQL = `SET LOCAL client_min_messages = warning;
SET LOCAL lock_timeout = '60s';
DO $rewind$
DECLARE s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
  IF current_setting('server_version_num')::int >= 140000 THEN
    EXECUTE 'CREATE SCHEMA public AUTHORIZATION pg_database_owner';
    EXECUTE 'GRANT USAGE ON SCHEMA public TO PUBLIC';
  ELSE
    EXECUTE 'CREATE SCHEMA public';
    EXECUTE 'GRANT ALL ON SCHEMA public TO PUBLIC';
  END IF;
  EXECUTE $c$COMMENT ON SCHEMA public IS 'standard public schema'$c$;
END
$rewind$;`;

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * PostgreSQL through pg_dump / pg_restore / psql (argv through the Executor) and the `pg` driver.
 *
 * Backup (custom format, the default): `pg_dump -Fc -Z0 | zstd -1`, and rewind hashes zstd's output
 * into the file as it streams. pg_dump 15 only offers gzip inside the archive; its default level 6
 * is CPU-bound in pg_dump's single thread, while zstd -1 in its own process runs on another core at
 * several times the speed and compresses better (numbers in docs/benchmarks.md). Without a `zstd`
 * binary, `compression: auto` falls back to `pg_dump -Fc -Z1`.
 *
 * Restore: `zstd -dc | pg_restore -f - | psql`, in one transaction that starts with
 * POSTGRES_RESET_SQL and commits only after the whole script went through: either the whole backup is
 * in place or nothing changed.
 */
export class PostgresEngine implements DatabaseEngine {
  readonly engine = 'postgres' as const;
  readonly extension: string;
  private readonly compression: Compression;
  private readonly level: number;
  /** Where PGPASSWORD is read when a tool runs; the value itself is never in a command (commands go into plans). */
  private readonly passwordRef: SecretRef | undefined;
  /** Only to mask it in the tools' error output. */
  private readonly password: string;
  /** The URL without its password: safe in argv, the password goes in PGPASSWORD. */
  private readonly publicUrl: string;
  private readonly where: string;

  /** `options.passwordRef` names the config key of `config.url` (adapters/registry.ts); required when the URL has a password. */
  constructor(
    private readonly config: PostgresDatabaseConfig,
    private readonly executor: StreamingExecutor,
    options: { passwordRef?: SecretRef } = {},
  ) {
    const url = new URL(config.url);
    // libpq also reads `?password=`; either way the password leaves the URL and travels in PGPASSWORD.
    this.password = urlPassword(config.url);
    const hasPassword = this.password !== '';
    if (hasPassword && !options.passwordRef) throw new RewindError('REWIND_E_INTERNAL', 'a PostgreSQL engine for a URL with a password needs the reference to it (passwordRef)');
    this.passwordRef = hasPassword ? options.passwordRef : undefined;
    url.password = '';
    url.searchParams.delete('password');
    this.publicUrl = url.toString();
    this.where = `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`;
    const directory = config.format === 'directory';
    this.compression = config.compression === 'auto' ? (!directory && findTool('zstd') ? 'zstd' : 'gzip') : config.compression;
    const level = config.compressionLevel ?? (this.compression === 'none' ? 0 : 1);
    // `auto` may land on gzip (no zstd tool), whose levels stop at 9.
    this.level = this.compression === 'zstd' ? level : Math.min(level, 9);
    this.extension = directory ? '' : this.compression === 'zstd' ? '.dump.zst' : '.dump';
  }

  private tool(name: 'pg_dump' | 'pg_restore' | 'psql'): string {
    return this.config.binDir ? join(this.config.binDir, name) : name;
  }

  private spec(argv: string[]): CommandSpec {
    return { argv, env: { PGAPPNAME: 'rewind', ...(this.passwordRef ? { PGPASSWORD: this.passwordRef } : {}) }, timeoutMs: this.config.timeoutMs };
  }

  private get format(): string {
    if (this.config.format === 'directory') return 'pg-directory';
    return this.compression === 'zstd' ? 'pg-custom-zst' : 'pg-custom';
  }

  private dumpStages(target: string, snapshotId?: string): CommandSpec[][] {
    const snapshot = snapshotId ? [`--snapshot=${snapshotId}`] : [];
    if (this.config.format === 'directory') {
      const level = this.compression === 'none' ? 0 : this.level;
      return [[this.spec([this.tool('pg_dump'), '--format=directory', `--jobs=${this.config.jobs}`, `--compress=${level}`, ...snapshot, `--file=${target}`, `--dbname=${this.publicUrl}`])]];
    }
    if (this.compression === 'zstd') {
      return [
        [
          this.spec([this.tool('pg_dump'), '--format=custom', '--compress=0', ...snapshot, `--dbname=${this.publicUrl}`]),
          { argv: ['zstd', `-${this.level}`, '--quiet', '--stdout'], timeoutMs: this.config.timeoutMs },
        ],
      ];
    }
    const level = this.compression === 'none' ? 0 : this.level;
    return [[this.spec([this.tool('pg_dump'), '--format=custom', `--compress=${level}`, ...snapshot, `--dbname=${this.publicUrl}`])]];
  }

  describeBackup(destination: string): CommandSpec[][] {
    return this.dumpStages(this.config.format === 'directory' ? partialPath(destination) : destination);
  }

  /**
   * Custom format: `[zstd -dc |] pg_restore --file=- | psql`, where psql opens the transaction and
   * resets the schemas (`--command`), then reads the script on stdin. restore() adds one more
   * `--file`, a named pipe where rewind writes `COMMIT;` only after pg_restore (and zstd) exited 0
   * (CommitDecision): a script cut short by a failing pg_restore is rolled back by the server
   * (`psql --single-transaction` would commit at end of input, truncated or not).
   */
  describeRestore(backup: BackupArtifact): CommandSpec[][] {
    return this.restoreStages(backup, '<commit pipe>');
  }

  private restoreStages(backup: BackupArtifact, commitPipe: string): CommandSpec[][] {
    const psql = (extra: string[]): CommandSpec =>
      this.spec([this.tool('psql'), '--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--output=/dev/null', ...extra, `--dbname=${this.publicUrl}`]);
    const transactional = [`--command=BEGIN;\n${POSTGRES_RESET_SQL}`, '--file=-', `--file=${commitPipe}`];
    switch (backup.format) {
      case 'pg-custom-zst':
        return [[{ argv: ['zstd', '-dc', '--quiet', '--', backup.path], timeoutMs: this.config.timeoutMs }, this.spec([this.tool('pg_restore'), '--file=-']), psql(transactional)]];
      case 'pg-custom':
        return [[this.spec([this.tool('pg_restore'), '--file=-', backup.path]), psql(transactional)]];
      case 'pg-directory':
        // Parallel restore cannot run in one transaction: the reset commits first, then pg_restore -j.
        return [
          [psql(['--single-transaction', `--command=${POSTGRES_RESET_SQL}`])],
          [this.spec([this.tool('pg_restore'), '--exit-on-error', `--jobs=${this.config.jobs}`, `--dbname=${this.publicUrl}`, backup.path])],
        ];
      default:
        throw new RewindError('REWIND_E_BACKUP_CORRUPT', `backup format ${JSON.stringify(backup.format)} is not a PostgreSQL format`, { path: backup.path });
    }
  }

  private async connect(): Promise<pg.Client> {
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: this.config.url, connectionTimeoutMillis: 10_000, application_name: 'rewind' });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new RewindError('REWIND_E_DB_UNREACHABLE', redactor.redact(`cannot connect to PostgreSQL at ${this.where}: ${(error as Error).message}`), { engine: 'postgres', where: this.where });
    }
    return client;
  }

  async ping(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async backup(destination: string, criticalTables: readonly string[]): Promise<BackupResult> {
    await mkdir(dirname(destination), { recursive: true });
    await discardPartial(destination);
    const client = await this.connect();
    try {
      // The snapshot rewind records must describe what the dump holds, even while the app writes:
      // pg_dump runs inside the very snapshot this transaction exports, and the counts are read in it.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The counts run beside the dump and only have to end before it does: one process, never a
      // parallel scan whose workers would take cores from pg_dump's own backend.
      await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
      const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const stages = this.dumpStages(this.config.format === 'directory' ? partialPath(destination) : destination, rows[0]!.id)[0]!;
      // Both run to the end before either outcome is acted on: the dump must never outlive this call.
      const [snapshotResult, dumpResult] = await Promise.allSettled([
        readSnapshot(client, criticalTables),
        this.config.format === 'directory' ? this.dumpDirectory(stages) : this.dumpFile(stages, destination),
      ]);
      if (dumpResult.status === 'rejected') throw dumpResult.reason;
      if (snapshotResult.status === 'rejected') throw snapshotResult.reason;
      const [snapshot, written] = [snapshotResult.value, dumpResult.value];
      await client.query('COMMIT');
      await finalize(destination);
      return { artifact: { path: destination, format: this.format, ...written }, snapshot };
    } catch (error) {
      await discardPartial(destination);
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async dumpFile(stages: CommandSpec[], destination: string): Promise<{ size: number; sha256: string }> {
    let written: { size: number; sha256: string } | undefined;
    const result = await this.executor.runPipeline(stages, {
      stdout: async (source) => {
        written = await writeHashed(source, partialPath(destination));
      },
    });
    if (!result.ok || !written) throw new RewindError('REWIND_E_BACKUP_FAILED', `pg_dump of ${this.where} failed: ${pipelineFailure(result, [this.password])}`, { engine: 'postgres' });
    return written;
  }

  /** Directory format is written by pg_dump's workers themselves, so it is hashed after (one read). */
  private async dumpDirectory(stages: CommandSpec[]): Promise<{ size: number; sha256: string }> {
    const target = stages[0]!.argv.find((arg) => arg.startsWith('--file='))!.slice('--file='.length);
    const result = await this.executor.runPipeline(stages);
    if (!result.ok) throw new RewindError('REWIND_E_BACKUP_FAILED', `pg_dump of ${this.where} failed: ${pipelineFailure(result, [this.password])}`, { engine: 'postgres' });
    return directoryManifestDigest(target);
  }

  async verify(backup: BackupArtifact): Promise<{ ok: boolean; reason?: string }> {
    const problem = await checksumProblem(backup);
    if (problem) return { ok: false, reason: problem };
    // The archive's table of contents must parse: `pg_restore --list`, fed through zstd for .zst.
    const list = this.spec([this.tool('pg_restore'), '--list']);
    let stages: CommandSpec[];
    if (backup.format === 'pg-custom-zst') stages = [{ argv: ['zstd', '-dc', '--quiet', '--', backup.path], timeoutMs: this.config.timeoutMs }, list];
    else if (backup.format === 'pg-custom' || backup.format === 'pg-directory') stages = [{ ...list, argv: [...list.argv, backup.path] }];
    else return { ok: false, reason: `format ${backup.format} is not a PostgreSQL format` };
    const result = await this.executor.runPipeline(stages);
    const toc = result.stages.at(-1)!.stdout;
    if (!result.ok) return { ok: false, reason: `pg_restore --list cannot read ${backup.path}: ${pipelineFailure(result, [this.password])}` };
    if (!/;\s+Format: (CUSTOM|DIRECTORY)/.test(toc)) return { ok: false, reason: `pg_restore --list found no archive header in ${backup.path}` };
    return { ok: true };
  }

  async restore(backup: BackupArtifact): Promise<void> {
    this.describeRestore(backup); // refuses a format that is not PostgreSQL's before anything runs
    await assertIntact(backup);
    const fail = (result: PipelineResult, atomic: boolean): RewindError =>
      new RewindError(
        'REWIND_E_RESTORE_FAILED',
        `restore of ${backup.path} into ${this.where} failed${atomic ? ' (rolled back: nothing changed)' : ''}: ${pipelineFailure(result, [this.password])}`,
        { engine: 'postgres', atomic },
      );
    if (backup.format === 'pg-directory') {
      for (const stages of this.restoreStages(backup, '')) {
        const result = await this.executor.runPipeline(stages);
        if (!result.ok) throw fail(result, false);
      }
      return;
    }
    const decision = await CommitDecision.create(this.executor);
    try {
      const stages = this.restoreStages(backup, decision.path)[0]!;
      const producers = stages.length - 1;
      const exited: CommandResult[] = new Array(producers);
      let waiting = producers;
      const producedOk = (results: readonly CommandResult[]): boolean => results.every((_, index) => stageSucceeded(results, index));
      const result = await this.executor.runPipeline(stages, {
        // COMMIT only once zstd and pg_restore are done and succeeded: anything else, and psql rolls back.
        onStageExit: (index, stage) => {
          if (index >= producers) return;
          exited[index] = stage;
          waiting -= 1;
          if (waiting === 0) void decision.decide(producedOk(exited)).catch(() => undefined);
        },
      });
      const producerResults = result.stages.slice(0, producers);
      const produced: PipelineResult = { ...result, stages: producerResults, ok: producedOk(producerResults) };
      // psql stopping first (ON_ERROR_STOP) is what cut the producers off: its error is the one that explains.
      if (result.stages[producers]!.exitCode !== 0) throw fail(result, true);
      if (!produced.ok) throw fail(produced, true);
      if (!result.ok) throw fail(result, true);
    } finally {
      await decision.close();
    }
  }

  async snapshot(criticalTables: readonly string[]): Promise<DatabaseSnapshot> {
    const client = await this.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snapshot = await readSnapshot(client, criticalTables);
      await client.query('COMMIT');
      return snapshot;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Point-in-time recovery; the functions load only when used (postgres-pitr.ts). */
  readonly pitr: PitrSupport = {
    check: async (options) => (await import('./postgres-pitr.js')).checkPitr({ ...options, url: this.config.url }),
    baseBackup: async (options) =>
      (await import('./postgres-pitr.js')).takeBaseBackup({ ...options, url: this.config.url, executor: this.executor, binDir: this.config.binDir, timeoutMs: this.config.timeoutMs }),
    restoreToTime: async (options) => (await import('./postgres-pitr.js')).restoreToTime({ ...options, executor: this.executor, binDir: this.config.binDir }),
  };

  async readSchema(): Promise<DatabaseSchema> {
    const { readPostgresSchemaAt } = await import('./postgres-schema-reader.js');
    return readPostgresSchemaAt(this.config.url);
  }

  async replaySchema(migrations: readonly { id: string; upPath: string }[]): Promise<DatabaseSchema> {
    const { replayPostgresMigrations } = await import('./postgres-scratch-replay.js');
    return (await replayPostgresMigrations({ url: this.config.url, migrations: [...migrations] })).schema;
  }

  async restoreIntoScratch(backup: BackupArtifact, criticalTables: readonly string[]): Promise<DatabaseSnapshot & { scratch: string }> {
    const { connectPostgres } = await import('./postgres-schema-reader.js');
    const { dropScratch } = await import('./postgres-scratch-replay.js');
    const database = scratchDatabaseName();
    const scratchUrl = new URL(this.config.url);
    scratchUrl.pathname = `/${database}`;
    const admin = await connectPostgres(this.config.url);
    try {
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
      } catch (error) {
        throw new RewindError('REWIND_E_RESTORE_FAILED', `cannot create the scratch database ${database} on ${this.where}: ${(error as Error).message}`, { engine: 'postgres', atomic: true });
      }
      try {
        // The same engine settings and password reference, pointed at the scratch database.
        const scratch = new PostgresEngine({ ...this.config, url: scratchUrl.toString() }, this.executor, { passwordRef: this.passwordRef });
        await scratch.restore(backup);
        return { ...(await scratch.snapshot(criticalTables)), scratch: database };
      } finally {
        await dropScratch(admin, database);
      }
    } finally {
      await admin.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    // Connections are per call; nothing stays open between operations.
  }
}

async function readSnapshot(client: pg.Client, criticalTables: readonly string[]): Promise<DatabaseSnapshot> {
  const rowCounts: RowCounts = nullPrototypeRecord<number | null>(); // keyed by table names from rewind.yaml, `__proto__` included
  for (const table of criticalTables) {
    const quoted = splitTableName(table).map(quoteIdent).join('.');
    const { rows } = await client.query<{ exists: string | null }>('SELECT to_regclass($1)::text AS exists', [quoted]);
    if (!rows[0]?.exists) {
      rowCounts[table] = null;
      continue;
    }
    const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoted}`);
    rowCounts[table] = Number(counted.rows[0]!.n);
  }
  const found = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1) AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname, c.relname`,
    [MIGRATION_TABLES],
  );
  const migrationState: MigrationTableState[] = [];
  for (const { schema, name } of found.rows) {
    const result = await client.query(`SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(name)}`);
    migrationState.push({ name: schema === 'public' ? name : `${schema}.${name}`, columns: result.fields.map((f) => f.name), rows: stableRows(result.rows) });
  }
  return { migrationState, rowCounts };
}

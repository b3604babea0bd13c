import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { MysqlDatabaseConfig } from './mysql-config.js';
import { RewindError } from '../../../errors/rewind-error.js';
import { nullPrototypeRecord } from '../../../util/own-property.js';
import type { BackupArtifact, BackupResult, DatabaseEngine, DatabaseSnapshot, MigrationTableState, RowCounts } from '../../../ports/database-engine.js';
import type { CommandSpec, StreamingExecutor } from '../../../ports/executor.js';
import type { SecretRef } from '../../../ports/secret-ref.js';
import { redactor } from '../../../util/redact.js';
import { MIGRATION_TABLES } from '../../../migrations/history-readers.js';
import { assertIntact, checksumProblem, writeHashed } from '../backup-digest.js';
import { pickTool, pipelineFailure } from '../client-tools.js';
import { discardPartial, finalize, partialPath } from '../partial-dump.js';
import { splitTableName, stableRows } from '../snapshot-rows.js';
import { scratchDatabaseName } from '../scratch-database-name.js';
import { quoteIdent, ScratchDumpRewriter } from './scratch-dump.js';

/** mysqldump's last line; a dump without it was cut short. */
const TRAILER = /-- Dump completed/;

/**
 * MySQL / MariaDB through mariadb-dump (or mysqldump) and the mariadb (or mysql) client, argv through
 * the Executor, password in MYSQL_PWD; the mysql2 driver for ping and introspection.
 *
 * Backup: `mariadb-dump --single-transaction --routines --triggers --events --databases <db>
 * --add-drop-database`, streamed through gzip (zlib level 1, in process) and sha256 into the file.
 * `--add-drop-database` makes the dump itself replace the whole database on restore, so tables,
 * views, routines and events created after the backup are gone too; grants live outside the database
 * and survive. Restore streams the file through gunzip into the client's stdin. MySQL DDL is not
 * transactional: a failed restore can leave the database half-restored (restore the safety backup).
 */
export class MysqlEngine implements DatabaseEngine {
  readonly engine = 'mysql' as const;
  readonly extension: string;
  private readonly host: string;
  private readonly port: number;
  private readonly user: string;
  /** For the driver's own connection (in process); tools get it through passwordRef. */
  private readonly password: string;
  /** Where MYSQL_PWD is read when a tool runs; the value itself is never in a command (commands go into plans). */
  private readonly passwordRef: SecretRef | undefined;
  private readonly database: string;
  private readonly where: string;

  /** `options.passwordRef` names the config key of `config.url` (adapters/registry.ts); required when the URL has a password. */
  constructor(
    private readonly config: MysqlDatabaseConfig,
    private readonly executor: StreamingExecutor,
    options: { passwordRef?: SecretRef } = {},
  ) {
    const url = new URL(config.url);
    this.host = url.hostname || 'localhost';
    this.port = Number(url.port || 3306);
    this.user = decodeURIComponent(url.username) || 'root';
    this.password = decodeURIComponent(url.password);
    if (this.password && !options.passwordRef) throw new RewindError('REWIND_E_INTERNAL', 'a MySQL engine for a URL with a password needs the reference to it (passwordRef)');
    this.passwordRef = this.password ? options.passwordRef : undefined;
    this.database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!this.database) throw new RewindError('REWIND_E_CONFIG_INVALID', `database.url: name the database in the URL path (mysql://user@host:3306/<database>)`);
    this.where = `${this.host}:${this.port}/${this.database}`;
    this.extension = config.compression === 'gzip' ? '.sql.gz' : '.sql';
  }

  private get format(): string {
    return this.config.compression === 'gzip' ? 'mysql-sql-gz' : 'mysql-sql';
  }

  private spec(argv: string[]): CommandSpec {
    return { argv, env: this.passwordRef ? { MYSQL_PWD: this.passwordRef } : {}, timeoutMs: this.config.timeoutMs };
  }

  private connectionArgs(): string[] {
    return [`--host=${this.host}`, `--port=${this.port}`, `--user=${this.user}`];
  }

  describeBackup(_destination: string): CommandSpec[][] {
    const dump = pickTool(['mariadb-dump', 'mysqldump'], this.config.binDir);
    return [
      [
        this.spec([
          dump,
          ...this.connectionArgs(),
          '--single-transaction',
          '--routines',
          '--triggers',
          '--events',
          '--hex-blob',
          '--no-tablespaces',
          '--default-character-set=utf8mb4',
          '--add-drop-database',
          '--databases',
          this.database,
        ]),
      ],
    ];
  }

  describeRestore(_backup: BackupArtifact): CommandSpec[][] {
    const client = pickTool(['mariadb', 'mysql'], this.config.binDir);
    return [[this.spec([client, ...this.connectionArgs(), '--default-character-set=utf8mb4', '--batch'])]];
  }

  private async connect(): Promise<Connection> {
    // The package's CommonJS exports object, as `default`: the CLI's bundle exposes nothing else
    // (a named `createConnection` is undefined there, though plain Node resolves it).
    const { default: mysql } = await import('mysql2/promise');
    try {
      return await mysql.createConnection({
        host: this.host,
        port: this.port,
        user: this.user,
        password: this.password,
        database: this.database,
        connectTimeout: 10_000,
        dateStrings: false,
        supportBigNumbers: true,
        bigNumberStrings: true,
      });
    } catch (error) {
      throw new RewindError('REWIND_E_DB_UNREACHABLE', redactor.redact(`cannot connect to MySQL at ${this.where}: ${(error as Error).message}`), { engine: 'mysql', where: this.where });
    }
  }

  async ping(): Promise<void> {
    const connection = await this.connect();
    try {
      await connection.query('SELECT 1');
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  async backup(destination: string, criticalTables: readonly string[]): Promise<BackupResult> {
    await mkdir(dirname(destination), { recursive: true });
    await discardPartial(destination);
    // mysqldump's consistent snapshot cannot be shared, so the counts are read just before it starts:
    // exact when writes are stopped, which is how a pre-upgrade backup is taken.
    const snapshot = await this.snapshot(criticalTables);
    let written: { size: number; sha256: string } | undefined;
    try {
      const transforms: Transform[] = this.config.compression === 'gzip' ? [createGzip({ level: this.config.compressionLevel })] : [];
      const result = await this.executor.runPipeline(this.describeBackup(destination)[0]!, {
        stdout: async (source) => {
          written = await writeHashed(source, partialPath(destination), transforms);
        },
      });
      if (!result.ok || !written) throw new RewindError('REWIND_E_BACKUP_FAILED', `dump of ${this.where} failed: ${pipelineFailure(result, [this.password])}`, { engine: 'mysql' });
      await finalize(destination);
    } catch (error) {
      await discardPartial(destination);
      throw error;
    }
    return { artifact: { path: destination, format: this.format, ...written }, snapshot };
  }

  private source(backup: BackupArtifact): Readable[] {
    const file = createReadStream(backup.path);
    return backup.format === 'mysql-sql-gz' ? [file, createGunzip()] : [file];
  }

  async verify(backup: BackupArtifact): Promise<{ ok: boolean; reason?: string }> {
    const problem = await checksumProblem(backup);
    if (problem) return { ok: false, reason: problem };
    if (backup.format !== 'mysql-sql-gz' && backup.format !== 'mysql-sql') return { ok: false, reason: `format ${backup.format} is not a MySQL format` };
    // Readable to the end (gzip checks its CRC) and complete (the dump's own trailer is there).
    let tail = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        tail = (tail + chunk.toString('latin1')).slice(-512);
        callback();
      },
    });
    try {
      await pipeline([...this.source(backup), sink]);
    } catch (error) {
      return { ok: false, reason: `cannot read ${backup.path}: ${(error as Error).message}` };
    }
    if (!TRAILER.test(tail)) return { ok: false, reason: `${backup.path} is incomplete: the dump's "-- Dump completed" trailer is missing` };
    return { ok: true };
  }

  async restore(backup: BackupArtifact): Promise<void> {
    const stages = this.describeRestore(backup)[0]!;
    await assertIntact(backup);
    const result = await this.executor.runPipeline(stages, {
      stdin: async (sink) => {
        await pipeline([...this.source(backup), sink as NodeJS.WritableStream]);
      },
    });
    if (!result.ok) throw new RewindError('REWIND_E_RESTORE_FAILED', `restore of ${backup.path} into ${this.where} failed: ${pipelineFailure(result, [this.password])}`, { engine: 'mysql', atomic: false });
  }

  /**
   * The drill's test restore: a scratch database beside the live one (the URL's user needs CREATE
   * and DROP), the dump loaded into it through ScratchDumpRewriter (which points the dump's own
   * `USE` lines at it, leaves out its DROP/CREATE DATABASE and its events) by a client that runs
   * with `--one-database <scratch>`, then its snapshot, then DROP DATABASE whatever happened. A
   * critical table named in another database (`other.table`) is not in the dump: it reads as absent.
   */
  async restoreIntoScratch(backup: BackupArtifact, criticalTables: readonly string[]): Promise<DatabaseSnapshot & { scratch: string }> {
    await assertIntact(backup);
    const scratch = scratchDatabaseName();
    const where = `${this.host}:${this.port}/${scratch}`;
    const admin = await this.connect();
    try {
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
      } catch (error) {
        throw new RewindError('REWIND_E_RESTORE_FAILED', redactor.redact(`cannot create the scratch database ${scratch} on ${this.host}:${this.port}: ${(error as Error).message}`), { engine: 'mysql', atomic: true });
      }
      let failure: unknown;
      try {
        const rewriter = new ScratchDumpRewriter(this.database, scratch);
        const client = pickTool(['mariadb', 'mysql'], this.config.binDir);
        const result = await this.executor.runPipeline([this.spec([client, ...this.connectionArgs(), '--default-character-set=utf8mb4', '--batch', '--one-database', scratch])], {
          stdin: async (sink) => {
            await pipeline([...this.source(backup), rewriter, sink as NodeJS.WritableStream]);
          },
        });
        if (!result.ok) throw new RewindError('REWIND_E_RESTORE_FAILED', `restore of ${backup.path} into ${where} failed: ${pipelineFailure(result, [this.password])}`, { engine: 'mysql', atomic: false });
        if (rewriter.counts.uses === 0) {
          throw new RewindError('REWIND_E_RESTORE_FAILED', `${backup.path} never selects ${quoteIdent(this.database)} (no \`USE\` line): not a dump of this database as rewind takes it, so it cannot be pointed at a scratch database`, { engine: 'mysql', atomic: false });
        }
        const url = new URL(this.config.url);
        url.pathname = `/${encodeURIComponent(scratch)}`;
        // The same settings and password reference, pointed at the scratch database.
        const scratchEngine = new MysqlEngine({ ...this.config, url: url.toString() }, this.executor, this.passwordRef ? { passwordRef: this.passwordRef } : {});
        const inDump = criticalTables.filter((table) => this.holdsTable(table));
        const read = await scratchEngine.snapshot(inDump.map((table) => splitTableName(table).at(-1)!));
        const rowCounts: RowCounts = nullPrototypeRecord<number | null>();
        for (const table of criticalTables) rowCounts[table] = this.holdsTable(table) ? read.rowCounts[splitTableName(table).at(-1)!]! : null;
        return { migrationState: read.migrationState, rowCounts, scratch };
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)}`);
        } catch (error) {
          const message = redactor.redact(`could not drop the scratch database ${scratch} on ${this.host}:${this.port}; drop it by hand: ${(error as Error).message}`);
          if (failure instanceof RewindError) failure.details.scratchLeftBehind = message;
          else if (failure === undefined) throw new RewindError('REWIND_E_RESTORE_FAILED', message, { engine: 'mysql', atomic: true });
        }
      }
    } finally {
      await admin.end().catch(() => undefined);
    }
  }

  /** Whether a critical table (`table` or `database.table`) lives in this database, the one the dump holds. */
  private holdsTable(table: string): boolean {
    const parts = splitTableName(table);
    return parts.length === 1 || parts[0] === this.database;
  }

  async snapshot(criticalTables: readonly string[]): Promise<DatabaseSnapshot> {
    const connection = await this.connect();
    try {
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const rowCounts: RowCounts = nullPrototypeRecord<number | null>(); // keyed by table names from rewind.yaml, `__proto__` included
      for (const table of criticalTables) {
        const parts = splitTableName(table);
        const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [this.database, parts[0]!];
        const [found] = await connection.query<RowDataPacket[]>('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [schema, name]);
        if (found.length === 0) {
          rowCounts[table] = null;
          continue;
        }
        const [rows] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(name)}`);
        rowCounts[table] = Number(rows[0]!.n);
      }
      const [tables] = await connection.query<RowDataPacket[]>(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = ? AND table_name IN (?) ORDER BY table_name',
        [this.database, 'BASE TABLE', MIGRATION_TABLES],
      );
      const migrationState: MigrationTableState[] = [];
      for (const { name } of tables as { name: string }[]) {
        const [rows, fields] = await connection.query<RowDataPacket[]>(`SELECT * FROM ${quoteIdent(this.database)}.${quoteIdent(name)}`);
        migrationState.push({ name, columns: fields.map((f) => f.name), rows: stableRows(rows as Record<string, unknown>[]) });
      }
      await connection.query('COMMIT');
      return { migrationState, rowCounts };
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    // Connections are per call; nothing stays open between operations.
  }
}

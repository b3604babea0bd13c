import { createServer } from 'node:net';
import { appendFile, chmod, chown, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type pg from 'pg';
import { RewindError } from '../../errors/rewind-error.js';
import type { CommandResult, CommandSpec } from '../../ports/executor.js';
import { redactor } from '../../util/redact.js';
import { assertIntact, directoryManifestDigest } from './backup-digest.js';
import { pickTool, pipelineFailure } from './client-tools.js';
import { discardPartial, finalize, partialPath } from './partial-dump.js';

/**
 * PostgreSQL point-in-time recovery (PITR): check that continuous WAL archiving really works, take a
 * physical base backup, and restore one into a NEW data directory replayed up to a chosen time.
 *
 * The source server is never touched: checks are read-only queries, the base backup goes through the
 * replication protocol, and a restore always builds a separate cluster on its own port. Every process
 * (pg_basebackup, pg_verifybackup, cp, chown, pg_ctl) runs as an argv array through the Executor.
 *
 * Two strings do reach a shell, and both are built here with quoting that matches that shell:
 * - `restore_command` is run by the restored server through `/bin/sh -c`, after the server has read it
 *   as a config-file string and expanded its `%` placeholders (see `buildRestoreCommand`);
 * - `pg_ctl start` runs postgres through `/bin/sh -c` with the data directory and log path inside
 *   double quotes, so those two paths must not hold `"`, `$`, `` ` ``, `\` or control characters
 *   (they are refused, see `assertPgCtlSafePath`).
 */

import type { PitrCheck, PitrCheckResult, CheckPitrOptions, BaseBackup, TakeBaseBackupOptions, RestoreToTimeOptions, RestoreToTimeResult } from '../../ports/database-pitr.js';

export type { PitrCheck, PitrCheckResult, CheckPitrOptions, BaseBackup, TakeBaseBackupOptions, RestoreToTimeOptions, RestoreToTimeResult };

// ---------------------------------------------------------------------------------------------
// Quoting for strings the server hands to a shell

/** Control characters cannot be written inside a config-file string (no raw newline) and are never a sane path. */
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(message: string, details: Record<string, unknown> = {}): RewindError {
  return new RewindError('REWIND_E_PITR_INVALID', message, details);
}

/**
 * Quotes one argument of a command that PostgreSQL runs through `/bin/sh` (restore_command,
 * archive_command): POSIX single quotes (`'` written as `'\''`), then every `%` doubled, because the
 * server replaces `%f`, `%p`, `%r` and `%%` in the string before the shell sees it. The result still
 * needs `quoteConfString` to be written to postgresql.conf. Control characters are refused.
 */
export function quoteServerCommandArg(value: string, field = 'path'): string {
  if (CONTROL.test(value)) throw invalid(`${field} ${JSON.stringify(value)} contains a control character, which cannot be quoted into a server command`, { field });
  return `'${value.replace(/'/g, `'\\''`)}'`.replace(/%/g, '%%');
}

/**
 * A string literal for postgresql.conf / postgresql.auto.conf: single quotes doubled, and backslashes
 * doubled because the config-file scanner reads `\` as an escape.
 */
export function quoteConfString(value: string): string {
  if (/[\r\n\u0000]/.test(value)) throw invalid(`configuration value ${JSON.stringify(value)} contains a line break or NUL`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The restore_command that copies segments back from a local archive directory: `cp '<dir>'/%f "%p"`.
 * `%f` (a WAL file name) and `%p` (a path under the data directory) come from the server and hold no
 * shell syntax. Written to the config file it must go through `quoteConfString`.
 */
export function buildRestoreCommand(archiveDir: string): string {
  if (!isAbsolute(archiveDir)) throw invalid(`archiveDir ${JSON.stringify(archiveDir)} must be an absolute path (the server runs restore_command in its data directory)`, { field: 'archiveDir' });
  return `cp ${quoteServerCommandArg(archiveDir.replace(/\/+$/, '') || '/', 'archiveDir')}/%f "%p"`;
}

/** pg_ctl puts these paths inside double quotes of a `/bin/sh -c` string, where `"`, `$`, `` ` `` and `\` are live. */
function assertPgCtlSafePath(path: string, field: string): void {
  if (!isAbsolute(path)) throw invalid(`${field} ${JSON.stringify(path)} must be an absolute path`, { field });
  if (CONTROL.test(path) || /["$`\\]/.test(path)) {
    throw invalid(`${field} ${JSON.stringify(path)} contains a character pg_ctl cannot pass safely (", $, \`, \\ or a control character): choose another path`, { field });
  }
}

// ---------------------------------------------------------------------------------------------
// Times

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Microseconds since the epoch of an ISO 8601 instant, or undefined. The zone is required: a time
 * without one would be read in the server's TimeZone setting, which need not be the operator's.
 * Calendar-impossible values (Feb 30, 24:00) are refused rather than rolled over as Date.UTC would.
 */
export function parseIsoInstant(text: string): number | undefined {
  const m = ISO_INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || back.getUTCHours() !== hour || back.getUTCMinutes() !== minute || back.getUTCSeconds() !== second) {
    return undefined;
  }
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const micros = Number((m[7] ?? '').padEnd(6, '0') || '0');
  return ms * 1000 + micros - offsetMinutes * 60_000_000;
}

/** `2026-05-01T12:00:00.123456Z` from microseconds since the epoch. */
function isoFromMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const fraction = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** Server clock as UTC ISO with microseconds: the `pg` driver's Date would drop them. */
const UTC_NOW_SQL = `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now`;
const utcIso = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// ---------------------------------------------------------------------------------------------
// Connections and commands

async function connect(url: string, connectionTimeoutMillis = 10_000): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: url, connectionTimeoutMillis, application_name: 'rewind' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new RewindError('REWIND_E_DB_UNREACHABLE', redactor.redact(`cannot connect to PostgreSQL at ${where(url)}: ${(error as Error).message}`), { engine: 'postgres', where: where(url) });
  }
  return client;
}

function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** The URL without its password (safe in argv) and the password (for PGPASSWORD), as PostgresEngine splits them. */
function splitPassword(url: string): { publicUrl: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password) || (parsed.searchParams.get('password') ?? '');
  parsed.password = '';
  parsed.searchParams.delete('password');
  return { publicUrl: parsed.toString(), password };
}

function failure(result: CommandResult, secrets: readonly string[] = []): string {
  return pipelineFailure({ stages: [result], ok: false, durationMs: result.durationMs }, secrets);
}

/** argv prefixed so it runs as `osUser`: postgres and pg_ctl refuse to run as root. */
function asUser(argv: string[], osUser: string | undefined): string[] {
  return osUser ? ['runuser', '-u', osUser, '--', ...argv] : argv;
}

// ---------------------------------------------------------------------------------------------
// checkPitr

const NOOP_COMMAND = /^(?:(?:\/usr)?\/bin\/)?(?:true|:)$|^exit\s+0$/;
const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(?:\.(?:gz|zst|lz4|bz2|xz|br))?$/;

/**
 * Whether the server can be recovered to a point in time: WAL detailed enough (`wal_level`), archiving
 * on (`archive_mode`), an archive command or library that really stores segments, an archiver whose
 * last attempt succeeded (`pg_stat_archiver`), and — with `archiveDir` — an archive without gaps that
 * holds the last file the server archived. Read-only; never throws for a failed check, only when the
 * server cannot be reached (`REWIND_E_DB_UNREACHABLE`).
 */
export async function checkPitr(options: CheckPitrOptions): Promise<PitrCheckResult> {
  const client = await connect(options.url);
  const checks: PitrCheck[] = [];
  try {
    const { rows } = await client.query<{ name: string; setting: string; reset_val: string | null }>(
      `SELECT name, setting, reset_val FROM pg_catalog.pg_settings WHERE name IN ('wal_level', 'archive_mode', 'archive_command', 'archive_library', 'wal_segment_size')`,
    );
    const settings = new Map(rows.map((row) => [row.name, row]));
    const value = (name: string): string => settings.get(name)?.setting ?? '';

    const walLevel = value('wal_level');
    checks.push(
      walLevel === 'replica' || walLevel === 'logical'
        ? { name: 'wal_level', ok: true, detail: `wal_level = ${walLevel}` }
        : { name: 'wal_level', ok: false, detail: `wal_level = ${walLevel}: set wal_level = replica (or logical) and restart the server; minimal WAL cannot be replayed onto a base backup` },
    );

    const archiveMode = value('archive_mode');
    const archiving = archiveMode === 'on' || archiveMode === 'always';
    checks.push(
      archiving
        ? { name: 'archive_mode', ok: true, detail: `archive_mode = ${archiveMode}` }
        : { name: 'archive_mode', ok: false, detail: `archive_mode = ${archiveMode}: set archive_mode = on and restart the server (archiving starts only at server start)` },
    );

    checks.push(await archiverCommandCheck(client, settings.get('archive_library')?.setting ?? '', settings.get('archive_command')));

    const archiver = await client.query<{
      archived_count: string;
      last_archived_wal: string | null;
      last_archived_time: Date | null;
      failed_count: string;
      last_failed_wal: string | null;
      last_failed_time: Date | null;
    }>('SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time FROM pg_catalog.pg_stat_archiver');
    const stats = archiver.rows[0]!;
    checks.push(archiverCheck(stats, archiving));

    if (options.archiveDir !== undefined) {
      const segmentSize = Number(value('wal_segment_size')) || 16 * 1024 * 1024;
      checks.push(await continuityCheck(resolve(options.archiveDir), segmentSize, stats.last_archived_wal));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return { ok: checks.every((check) => check.ok), checks };
}

async function archiverCommandCheck(client: pg.Client, library: string, command: { setting: string; reset_val: string | null } | undefined): Promise<PitrCheck> {
  if (library) {
    // basic_archive (contrib) silently archives nothing useful without its directory.
    if (library === 'basic_archive') {
      const dir = await client.query<{ dir: string | null }>(`SELECT current_setting('basic_archive.archive_directory', true) AS dir`);
      if (!dir.rows[0]?.dir) return { name: 'archive_library', ok: false, detail: 'archive_library = basic_archive but basic_archive.archive_directory is empty: set it to the archive directory' };
    }
    return { name: 'archive_library', ok: true, detail: `archive_library = ${library} (archive_command is not used)` };
  }
  // With archive_mode off the server shows archive_command as "(disabled)"; reset_val is the configured text.
  const raw = command?.setting === '(disabled)' ? (command.reset_val ?? '') : (command?.setting ?? '');
  const text = raw.trim();
  if (!text) return { name: 'archive_command', ok: false, detail: `archive_command is empty: set it to a command that copies %p to the archive, e.g. archive_command = 'test ! -f /archive/%f && cp %p /archive/%f'` };
  if (NOOP_COMMAND.test(text)) return { name: 'archive_command', ok: false, detail: `archive_command = ${JSON.stringify(text)} reports success without storing anything: set it to a command that copies %p to the archive` };
  // The server names the segment only through %p / %f; a command using neither cannot be storing it.
  if (!/%[pf]/.test(text)) return { name: 'archive_command', ok: false, detail: `archive_command = ${JSON.stringify(text)} uses neither %p nor %f, so it cannot store the segment it is given: pass %p (its path) to the copy` };
  return { name: 'archive_command', ok: true, detail: `archive_command = ${JSON.stringify(text)}` };
}

function archiverCheck(
  stats: { archived_count: string; last_archived_wal: string | null; last_archived_time: Date | null; failed_count: string; last_failed_wal: string | null; last_failed_time: Date | null },
  archiving: boolean,
): PitrCheck {
  const archived = Number(stats.archived_count);
  const failed = Number(stats.failed_count);
  const iso = (date: Date | null): string => (date ? date.toISOString() : 'never');
  if (failed > 0 && (!stats.last_archived_time || (stats.last_failed_time && stats.last_failed_time >= stats.last_archived_time))) {
    return {
      name: 'pg_stat_archiver',
      ok: false,
      detail: `archiving is failing: ${stats.last_failed_wal} failed at ${iso(stats.last_failed_time)} (failed_count ${failed}) and nothing succeeded since (last success ${stats.last_archived_wal ?? 'none'} at ${iso(stats.last_archived_time)}): fix archive_command (the server log has its error); WAL piles up in pg_wal until it succeeds`,
    };
  }
  if (archived === 0) {
    return {
      name: 'pg_stat_archiver',
      ok: false,
      detail: archiving
        ? 'no WAL file has been archived yet (archived_count = 0): run SELECT pg_switch_wal() and check again; if it stays 0, the server log shows why'
        : 'no WAL file has been archived (archived_count = 0) because archive_mode is off',
    };
  }
  return {
    name: 'pg_stat_archiver',
    ok: true,
    detail: `last archived ${stats.last_archived_wal} at ${iso(stats.last_archived_time)} (archived_count ${archived}, failed_count ${failed}${failed ? ', all before the last success' : ''})`,
  };
}

/**
 * Segment files per timeline must have consecutive numbers: recovery replays them in order and stops at
 * the first one missing. Older files may be gone (pg_archivecleanup), so only gaps between the oldest
 * and newest present count. Compressed copies (`.gz`, `.zst`, …) count as the segment.
 */
async function continuityCheck(dir: string, segmentSize: number, lastArchived: string | null): Promise<PitrCheck> {
  const name = 'archive_continuity';
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    return { name, ok: false, detail: `cannot read the archive directory ${dir}: ${(error as Error).message}` };
  }
  const perLogId = 0x1_0000_0000 / segmentSize;
  const timelines = new Map<number, number[]>();
  for (const file of files) {
    const m = SEGMENT.exec(file);
    if (!m) continue;
    const tli = parseInt(m[1]!, 16);
    const list = timelines.get(tli) ?? [];
    list.push(parseInt(m[2]!, 16) * perLogId + parseInt(m[3]!, 16));
    timelines.set(tli, list);
  }
  const segmentName = (tli: number, segno: number): string =>
    [tli, Math.floor(segno / perLogId), segno % perLogId].map((n) => n.toString(16).toUpperCase().padStart(8, '0')).join('');
  if (timelines.size === 0) return { name, ok: false, detail: `no WAL segment files in ${dir}: point archiveDir at the directory archive_command copies to` };

  const problems: string[] = [];
  const summary: string[] = [];
  for (const [tli, list] of [...timelines].sort((a, b) => a[0] - b[0])) {
    const sorted = [...new Set(list)].sort((a, b) => a - b);
    for (let i = 0; i + 1 < sorted.length; i++) {
      const [from, to] = [sorted[i]! + 1, sorted[i + 1]! - 1];
      if (to >= from) {
        problems.push(`timeline ${tli} is missing ${segmentName(tli, from)}${to > from ? `..${segmentName(tli, to)}` : ''} (${to - from + 1} segment${to > from ? 's' : ''}): recovery cannot replay past ${segmentName(tli, from - 1)}; take a new base backup after the gap`);
      }
    }
    // Recovery onto a later timeline needs its history file to know where it branched.
    const history = `${tli.toString(16).toUpperCase().padStart(8, '0')}.history`;
    if (tli > 1 && !files.includes(history)) problems.push(`timeline ${tli} has no ${history} in ${dir}: recovery cannot follow that timeline`);
    summary.push(`timeline ${tli}: ${segmentName(tli, sorted[0]!)}..${segmentName(tli, sorted.at(-1)!)} (${sorted.length} segment${sorted.length === 1 ? '' : 's'})`);
  }
  if (lastArchived && !files.some((file) => file === lastArchived || file.startsWith(`${lastArchived}.`))) {
    problems.push(`the server's last archived file ${lastArchived} is not in ${dir}: archive_command writes somewhere else, or files were removed`);
  }
  if (problems.length > 0) return { name, ok: false, detail: problems.slice(0, 5).join('; ') };
  return { name, ok: true, detail: `${summary.join('; ')}, contiguous${lastArchived ? `, up to the last archived ${lastArchived}` : ''}` };
}

// ---------------------------------------------------------------------------------------------
// takeBaseBackup

/**
 * `pg_basebackup` in plain format (a directory that is a copy of the data directory, chosen so a
 * restore is a plain copy and pg_verifybackup can check it) with the WAL it needs streamed in
 * (`--wal-method=stream`, so the backup is consistent on its own), a fast checkpoint (no wait for a
 * spread one) and a manifest with SHA-256 per file. The result is verified with pg_verifybackup before
 * it is renamed into place. Its `sha256` is the house directory digest (`directoryManifestDigest`: sha256 of the
 * sorted `sha256sum`-style manifest of every file, backup_manifest included), so `assertIntact` and
 * `checksumProblem` work on it like on any other backup.
 *
 * Clusters with extra tablespaces are refused: plain format would write them to their original
 * absolute paths, which on the same host are the live ones.
 */
export async function takeBaseBackup(options: TakeBaseBackupOptions): Promise<BaseBackup> {
  const destination = resolve(options.destination);
  if (existsSync(destination)) throw invalid(`destination ${destination} already exists: a base backup goes into a new directory`, { field: 'destination' });
  if (!existsSync(dirname(destination))) throw invalid(`the parent of destination ${destination} does not exist`, { field: 'destination' });
  const { publicUrl, password } = splitPassword(options.url);
  const secrets = password ? [password] : [];
  const spec = (argv: string[]): CommandSpec => ({ argv, env: { PGAPPNAME: 'rewind', ...(password ? { PGPASSWORD: password } : {}) }, redact: secrets, timeoutMs: options.timeoutMs });
  const target = partialPath(destination);
  await discardPartial(destination);
  const client = await connect(options.url);
  try {
    const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    const spaces = await client.query<{ spcname: string }>(`SELECT spcname FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1`);
    if (spaces.rows.length > 0) {
      throw new RewindError('REWIND_E_BACKUP_FAILED', `${where(options.url)} has tablespaces (${spaces.rows.map((row) => row.spcname).join(', ')}); rewind's plain-format base backup supports only pg_default and pg_global`, { engine: 'postgres' });
    }
    const startTime = (await client.query<{ now: string }>(UTC_NOW_SQL)).rows[0]!.now;
    const backup = await options.executor.run(
      spec([
        pickTool(['pg_basebackup'], options.binDir),
        `--pgdata=${target}`,
        '--format=plain',
        '--wal-method=stream',
        '--checkpoint=fast',
        '--manifest-checksums=SHA256',
        '--label=rewind',
        '--no-password',
        `--dbname=${publicUrl}`,
      ]),
    );
    if (backup.exitCode !== 0) throw new RewindError('REWIND_E_BACKUP_FAILED', `pg_basebackup of ${where(options.url)} failed: ${failure(backup, secrets)}`, { engine: 'postgres' });
    const endTime = (await client.query<{ now: string }>(UTC_NOW_SQL)).rows[0]!.now;
    const verified = await options.executor.run(spec([pickTool(['pg_verifybackup'], options.binDir), '--quiet', target]));
    if (verified.exitCode !== 0) throw new RewindError('REWIND_E_BACKUP_FAILED', `pg_verifybackup rejected the new base backup of ${where(options.url)}: ${failure(verified)}`, { engine: 'postgres' });
    const range = await walRange(target);
    const written = await directoryManifestDigest(target);
    await finalize(destination);
    return { path: destination, format: 'pg-basebackup-plain', ...written, startTime, endTime, ...range, serverVersion: Number(version.rows[0]!.v) };
  } catch (error) {
    await discardPartial(destination);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function walRange(dir: string): Promise<{ startLsn: string; endLsn: string; timeline: number }> {
  const manifest = JSON.parse(await readFile(join(dir, 'backup_manifest'), 'utf8')) as { 'WAL-Ranges'?: { Timeline: number; 'Start-LSN': string; 'End-LSN': string }[] };
  const ranges = manifest['WAL-Ranges'] ?? [];
  const [first, last] = [ranges[0], ranges.at(-1)];
  if (!first || !last) throw new RewindError('REWIND_E_BACKUP_FAILED', `backup_manifest in ${dir} has no WAL-Ranges`, { engine: 'postgres' });
  return { startLsn: first['Start-LSN'], endLsn: last['End-LSN'], timeline: last.Timeline };
}

// ---------------------------------------------------------------------------------------------
// restoreToTime

/**
 * Point-in-time restore: copies `backup` into the new `dataDir`, configures archive recovery up to
 * `targetTime` (`recovery.signal`, and appended to postgresql.auto.conf: `restore_command` copying
 * from `archiveDir`, `recovery_target_time`, `recovery_target_action = 'promote'`, the port, loopback
 * listening, `archive_mode = off` so the copy never writes into the source's archive, and no
 * synchronous standbys so its commits cannot hang), starts it with `pg_ctl start`, waits until
 * `pg_is_in_recovery()` is false and reports where it stopped. The restored server keeps running.
 *
 * Everything is validated first and nothing is written on bad input (`REWIND_E_PITR_INVALID`): the
 * target must be ISO 8601 with a zone, not in the future and not before `backup.endTime`; the archive
 * and data directory paths must be quotable; the port free; the backup intact (`REWIND_E_BACKUP_CORRUPT`)
 * and of the binaries' major version. If the server fails to start or recovery does not finish
 * (`REWIND_E_PITR_FAILED`, with the server log tail), the server is stopped and the new data
 * directory removed; the log file is kept.
 */
export async function restoreToTime(options: RestoreToTimeOptions): Promise<RestoreToTimeResult> {
  const started = performance.now();
  const plan = await validateRestore(options);
  const { backup, executor, osUser } = options;
  const pgCtl = pickTool(['pg_ctl'], options.binDir);
  let createdDir = false;
  let serverStarted = false;
  const logOffset = { bytes: 0 };
  try {
    // The copy keeps modes (the data directory must stay 0700); ownership goes to the server's user.
    const copy = plan.dirExists ? ['cp', '-a', '--', `${backup.path}/.`, plan.dataDir] : ['cp', '-a', '--', backup.path, plan.dataDir];
    createdDir = !plan.dirExists;
    const copied = await executor.run({ argv: copy });
    if (copied.exitCode !== 0) throw new RewindError('REWIND_E_PITR_FAILED', `copying ${backup.path} to ${plan.dataDir} failed: ${failure(copied)}`, { dataDir: plan.dataDir });
    // PostgreSQL refuses a data directory others can read; a pre-created one may have been made 0755.
    if (plan.dirExists) await chmod(plan.dataDir, 0o700);
    if (osUser) {
      const owned = await executor.run({ argv: ['chown', '-R', '--', `${osUser}:`, plan.dataDir] });
      if (owned.exitCode !== 0) throw new RewindError('REWIND_E_PITR_FAILED', `chown of ${plan.dataDir} to ${osUser} failed: ${failure(owned)}`, { dataDir: plan.dataDir });
    }
    await writeRecoveryConfig(plan, options);
    logOffset.bytes = await prepareLog(plan.logFile, plan.dataDir);

    serverStarted = true;
    const timeoutSeconds = Math.max(1, Math.ceil(plan.timeoutMs / 1000));
    // -w returns once the server accepts connections (hot standby) or is promoted; -l keeps its output
    // off our pipes, so pg_ctl's exit is not held up by the postmaster it leaves running.
    const start = await executor.run({
      argv: asUser([pgCtl, 'start', '-D', plan.dataDir, '-l', plan.logFile, '-w', '-t', String(timeoutSeconds)], osUser),
      cwd: plan.dataDir,
      timeoutMs: plan.timeoutMs + 10_000,
    });
    if (start.exitCode !== 0) throw await recoveryFailed(plan, logOffset.bytes, `pg_ctl start failed: ${failure(start)}`);

    const reached = await waitForPromotion(plan, options, started, logOffset.bytes);
    return { ...reached, durationMs: performance.now() - started };
  } catch (error) {
    if (serverStarted) await executor.run({ argv: asUser([pgCtl, 'stop', '-D', plan.dataDir, '-m', 'immediate', '-w'], osUser), cwd: dirname(plan.dataDir), timeoutMs: 60_000 }).catch(() => undefined);
    if (createdDir) await rm(plan.dataDir, { recursive: true, force: true });
    else if (plan.dirExists) for (const entry of await readdir(plan.dataDir).catch(() => [])) await rm(join(plan.dataDir, entry), { recursive: true, force: true });
    throw error;
  }
}

interface RestorePlan {
  dataDir: string;
  dirExists: boolean;
  logFile: string;
  restoreCommand: string;
  targetPg: string;
  targetIso: string;
  timeoutMs: number;
}

async function validateRestore(options: RestoreToTimeOptions): Promise<RestorePlan> {
  const target = parseIsoInstant(options.targetTime);
  if (target === undefined) {
    throw invalid(`targetTime ${JSON.stringify(options.targetTime)} is not an ISO 8601 time with a zone (e.g. 2026-05-01T12:00:00Z or 2026-05-01 14:00:00+02:00)`, { field: 'targetTime' });
  }
  const targetIso = isoFromMicros(target);
  if (target > Date.now() * 1000) throw invalid(`targetTime ${targetIso} is in the future: no WAL exists for it yet`, { field: 'targetTime' });
  const backupEnd = parseIsoInstant(options.backup.endTime);
  if (backupEnd === undefined) throw invalid(`backup.endTime ${JSON.stringify(options.backup.endTime)} is not an ISO 8601 time; pass the record takeBaseBackup returned`, { field: 'backup' });
  if (target < backupEnd) {
    throw invalid(`targetTime ${targetIso} is before the base backup ended (${options.backup.endTime}): recovery cannot stop before the backup is consistent; use an older base backup`, { field: 'targetTime' });
  }
  if (options.backup.format !== 'pg-basebackup-plain') throw invalid(`backup format ${JSON.stringify(options.backup.format)} is not a pg_basebackup plain backup`, { field: 'backup' });
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw invalid(`port ${options.port} is not a TCP port`, { field: 'port' });
  if (options.osUser !== undefined && !/^[a-z_][a-z0-9_-]*\$?$/i.test(options.osUser)) throw invalid(`osUser ${JSON.stringify(options.osUser)} is not a user name`, { field: 'osUser' });
  if (typeof options.targetTimeline === 'number' && (!Number.isInteger(options.targetTimeline) || options.targetTimeline < 1)) throw invalid(`targetTimeline ${options.targetTimeline} is not a timeline ID`, { field: 'targetTimeline' });

  const archiveDir = resolve(options.archiveDir);
  const restoreCommand = buildRestoreCommand(archiveDir);
  const archiveStat = await stat(archiveDir).catch(() => undefined);
  if (!archiveStat?.isDirectory()) throw invalid(`archiveDir ${archiveDir} is not a directory`, { field: 'archiveDir' });

  const dataDir = resolve(options.dataDir);
  assertPgCtlSafePath(dataDir, 'dataDir');
  const logFile = resolve(options.logFile ?? `${dataDir}.restore.log`);
  assertPgCtlSafePath(logFile, 'logFile');
  if (logFile.startsWith(`${dataDir}/`)) throw invalid(`logFile ${logFile} must be outside dataDir: it is kept when a failed restore removes dataDir`, { field: 'logFile' });
  if (!existsSync(dirname(logFile))) throw invalid(`the directory of logFile ${logFile} does not exist`, { field: 'logFile' });
  const existing = await stat(dataDir).catch(() => undefined);
  if (existing && (!existing.isDirectory() || (await readdir(dataDir)).length > 0)) throw invalid(`dataDir ${dataDir} exists and is not empty: restore into a new directory`, { field: 'dataDir' });
  if (!existing && !existsSync(dirname(dataDir))) throw invalid(`the parent of dataDir ${dataDir} does not exist`, { field: 'dataDir' });
  if (!(await portFree(options.port, options.listenAddresses ?? '127.0.0.1'))) throw invalid(`port ${options.port} is already in use`, { field: 'port' });

  await assertIntact(options.backup);
  // WAL the backup needs must be inside it and parse; file checksums were just covered by assertIntact.
  const verified = await options.executor.run({ argv: [pickTool(['pg_verifybackup'], options.binDir), '--quiet', '--skip-checksums', options.backup.path] });
  if (verified.exitCode !== 0) throw new RewindError('REWIND_E_BACKUP_CORRUPT', `pg_verifybackup rejected ${options.backup.path}: ${failure(verified)}`, { path: options.backup.path });
  const backupMajor = (await readFile(join(options.backup.path, 'PG_VERSION'), 'utf8')).trim();
  const version = await options.executor.run({ argv: [pickTool(['pg_ctl'], options.binDir), '--version'] });
  const toolMajor = /\(PostgreSQL\)\s+(\d+)/.exec(version.stdout)?.[1];
  if (version.exitCode !== 0 || toolMajor !== backupMajor) {
    throw invalid(`the backup is PostgreSQL ${backupMajor} but pg_ctl ${version.exitCode === 0 ? `is ${toolMajor ?? version.stdout.trim()}` : `cannot run (${failure(version)})`}: pass binDir of the PostgreSQL ${backupMajor} binaries`, { field: 'binDir' });
  }
  return { dataDir, dirExists: existing !== undefined, logFile, restoreCommand, targetPg: targetIso.replace('T', ' ').replace('Z', '+00'), targetIso, timeoutMs: options.timeoutMs ?? 3_600_000 };
}

/** Whether nothing listens on `port` yet (so a clash is reported before anything is written). */
function portFree(port: number, listenAddresses: string): Promise<boolean> {
  const host = listenAddresses.split(',')[0]!.trim();
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolvePort(error.code !== 'EADDRINUSE'));
    server.listen(port, host === '*' || host === '' ? undefined : host, () => server.close(() => resolvePort(true)));
  });
}

async function writeRecoveryConfig(plan: RestorePlan, options: RestoreToTimeOptions): Promise<void> {
  const owner = await stat(plan.dataDir);
  const give = (path: string): Promise<void> => chown(path, owner.uid, owner.gid);
  // Debian-style clusters keep their config outside the data directory, so a copy has none: start from defaults.
  const defaults: [string, string][] = [
    ['postgresql.conf', '# Written by rewind: the source kept its postgresql.conf outside the data directory.\n'],
    ['pg_ident.conf', ''],
    ['pg_hba.conf', '# Written by rewind: the source kept its pg_hba.conf outside the data directory.\nlocal all all peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n'],
  ];
  for (const [name, text] of defaults) {
    const path = join(plan.dataDir, name);
    if (!existsSync(path)) {
      await writeFile(path, text, { mode: 0o600 });
      await give(path);
    }
  }
  const timeline = options.targetTimeline ?? 'latest';
  const lines = [
    '',
    `# Added by rewind at ${new Date().toISOString()}: point-in-time recovery of ${options.backup.path} to ${plan.targetIso}.`,
    `restore_command = ${quoteConfString(plan.restoreCommand)}`,
    `recovery_target_time = ${quoteConfString(plan.targetPg)}`,
    `recovery_target_action = 'promote'`,
    `recovery_target_timeline = ${quoteConfString(String(timeline))}`,
    `port = ${options.port}`,
    `listen_addresses = ${quoteConfString(options.listenAddresses ?? '127.0.0.1')}`,
    `archive_mode = 'off'`,
    `synchronous_standby_names = ''`,
    '',
  ];
  const autoConf = join(plan.dataDir, 'postgresql.auto.conf');
  // Later lines win, so appending overrides whatever the source had set with ALTER SYSTEM.
  await appendFile(autoConf, lines.join('\n'), { mode: 0o600 });
  await give(autoConf);
  const signal = join(plan.dataDir, 'recovery.signal');
  await writeFile(signal, '', { mode: 0o600 });
  await give(signal);
}

/** Creates the log (owned like the data directory, so the server's user can append) and returns where this run starts in it. */
async function prepareLog(logFile: string, dataDir: string): Promise<number> {
  const handle = await open(logFile, 'a', 0o640);
  const size = (await handle.stat()).size;
  await handle.close();
  const owner = await stat(dataDir);
  await chown(logFile, owner.uid, owner.gid);
  return size;
}

async function logSince(logFile: string, offset: number): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.slice(offset);
}

async function recoveryFailed(plan: RestorePlan, logOffset: number, why: string): Promise<RewindError> {
  const log = await logSince(plan.logFile, logOffset);
  const tail = log
    .split('\n')
    .filter((line) => line.trim() && !/the database system is (starting up|not yet accepting connections)/.test(line))
    .slice(-8)
    .join(' / ');
  return new RewindError('REWIND_E_PITR_FAILED', redactor.redact(`restore into ${plan.dataDir} did not finish: ${why}; server log (${plan.logFile}): ${tail || '(empty)'}`), {
    dataDir: plan.dataDir,
    logFile: plan.logFile,
  });
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the server's), which is the normal case without root.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls the restored server until it has left recovery; a postmaster that exits meanwhile is a failure (its log says why). */
async function waitForPromotion(plan: RestorePlan, options: RestoreToTimeOptions, started: number, logOffset: number): Promise<Omit<RestoreToTimeResult, 'durationMs'>> {
  const url = new URL('postgres://127.0.0.1');
  url.port = String(options.port);
  url.username = encodeURIComponent(options.user ?? 'postgres');
  if (options.password) url.password = encodeURIComponent(options.password);
  url.pathname = `/${encodeURIComponent(options.database ?? 'postgres')}`;
  let lastError = '';
  while (performance.now() - started < plan.timeoutMs) {
    const pid = await postmasterPid(plan.dataDir);
    if (pid === undefined || !alive(pid)) throw await recoveryFailed(plan, logOffset, 'the server exited during recovery');
    try {
      const client = await connect(url.toString(), 2_000);
      try {
        const { rows } = await client.query<{ in_recovery: boolean; last_replayed: string | null; lsn: string | null; walfile: string | null }>(
          `SELECT pg_is_in_recovery() AS in_recovery, ${utcIso('pg_last_xact_replay_timestamp()')} AS last_replayed,
                  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn,
                  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS walfile`,
        );
        const row = rows[0]!;
        if (!row.in_recovery) {
          const log = await logSince(plan.logFile, logOffset);
          const stoppedAt = /recovery stopping (?:before|after) [^\n]*/.exec(log)?.[0]?.trim();
          return {
            dataDir: plan.dataDir,
            port: options.port,
            pid,
            logFile: plan.logFile,
            targetTime: plan.targetIso,
            lastReplayedCommit: row.last_replayed,
            ...(stoppedAt ? { stoppedAt } : {}),
            timeline: parseInt(row.walfile!.slice(0, 8), 16),
            lsn: row.lsn!,
          };
        }
        lastError = 'still in recovery';
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (error) {
      // "the database system is starting up" until the copy is consistent; the pid check above catches a real exit.
      lastError = (error as Error).message;
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 150));
  }
  throw await recoveryFailed(plan, logOffset, `recovery did not finish within ${plan.timeoutMs} ms (last: ${lastError})`);
}

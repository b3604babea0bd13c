import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import type { PitrCheck, PitrCheckResult, CheckPitrOptions } from '../../../ports/database-pitr.js';
import { connect } from './postgres-pitr-connection.js';

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

import { existsSync } from 'node:fs';
import { appendFile, chmod, chown, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';
import type { RestoreToTimeOptions, RestoreToTimeResult } from '../../../ports/database-pitr.js';
import { redactor } from '../../../util/redact.js';
import { assertIntact } from '../backup-digest.js';
import { pickTool } from '../client-tools.js';
import { asUser, connect, failure } from './postgres-pitr-connection.js';
import { assertPgCtlSafePath, buildRestoreCommand, invalid, quoteConfString } from './postgres-pitr-quoting.js';
import { isoFromMicros, parseIsoInstant, utcIso } from './postgres-pitr-times.js';

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

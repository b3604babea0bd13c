import { environmentConfig } from '../../config/load-config.js';
import { backupDatabase, describeDatabaseBackup, pruneBackups, requireDatabase, verifyBackup } from '../../core/database/database-backup.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { BackupRecord } from '../../ports/ledger.js';
import { redactor } from '../../util/redact.js';
import { formatBytes } from '../../util/format-bytes.js';
import { styleOf, writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext, type CliContext } from '../cli-context.js';
import { parseCommandArgs, unknownSubcommand, type ParsedArgs } from '../parse-args.js';
import { restoreDatabase } from '../../core/operations/restore-database.js';
import { finishOperation } from './operation-output.js';
import { renderPlan } from '../render-plan.js';
import { liveStep } from '../live-step.js';
import { resolveEnvironment } from '../environment-argument.js';
import { toJson } from '../../util/iso-times.js';

export const usage = `rewind db backup [<env>] [--dry-run] [--json]
       rewind db verify <backup-id|path> [--env <env>] [--json]
       rewind db prune [<env>] [--dry-run] [--json]
       rewind db list [<env>] [--all] [--json]
       rewind db restore [<env>] [--backup <id>] [--dry-run] [--yes] [--reason <text>] [--json]
       rewind db drift [<env>] [--no-replay] [--json]
       rewind db down [<env>] [--dry-run] [--yes] [--reason <text>] [--json]
       rewind db pitr check|base-backup|list [<env>] [--json]
       rewind db restore [<env>] --to-time <ISO time> [--data-dir <dir>] [--port <n>] [--dry-run] --yes [--json]`;
export const help = `${usage}

  backup  dump the environment's database (environments.<env>.database) into its backupDir, with the
          sha256 computed while the dump streams; record it in the ledger (kind manual, release = the
          current one) and in ops/backups.log. --dry-run prints the commands (argv) instead.
  verify  check a recorded backup: its sha256, then that it is readable (pg_restore --list, gunzip to
          the dump's trailer, PRAGMA integrity_check). Never touches the database. Exit 3
          (REWIND_E_BACKUP_CORRUPT) when it fails.
  prune   apply retention: keep the newest \`keep\`, everything younger than \`retainDays\`, and the
          newest pre-upgrade backup of every release that can still be rolled back to; delete the rest.
  list    recorded backups, newest first (--all includes pruned ones).
  restore put a recorded backup back (default: the newest pre-upgrade backup):
          check its sha256 and readability (refused before anything is touched) → stop the app →
          safety backup of the current state → restore → verify the migration table and
          the critical tables' row counts against the backup's record → start the app again → health.
          Every step is journaled (\`rewind history\`); a failed restore names the safety backup and
          the command that puts it back. Needs --yes (or --dry-run to see the plan, argv included).
  drift   compare the live schema (read from the catalog) with the schema recorded when the current
          release became current, and with the schema its migrations build when replayed into a
          scratch database on the same server (dropped afterwards; --no-replay skips it). Prints a
          diff (- expected, + found, ~ changed) and exits 11 (REWIND_E_DRIFT) on any difference.
          PostgreSQL only. Every deploy runs the first comparison in preflight (database.driftCheck).
  down    revert exactly one migration, the newest applied (downs are never chained): prints its
          down SQL, the lint findings on it (data loss) and the commands (database.migrations.down),
          then with --yes takes a safety backup, runs them, and checks the history table shows that
          migration, and only it, as no longer applied. The app keeps running; roll its code back
          with \`rewind rollback <env> --db skip --yes\` (or use \`rollback --db down\` for both).
  pitr    point-in-time recovery (PostgreSQL, database.pitr): \`check\` verifies wal_level, archive_mode,
          archive_command, the archiver's last result and that the WAL segments in archiveDir have no
          gap (exit 3 when one fails, each failure names the setting to change); \`base-backup\` runs
          pg_basebackup into baseBackupDir, checked by pg_verifybackup; \`list\` shows base backups.
  restore --to-time: recover the newest base backup that ended before the time into a NEW data
          directory and replay the archived WAL up to it; the recovered server keeps running on
          pitr.restorePort (loopback, archiving off) so you can inspect it and move data or traffic
          over. The live cluster is never replaced in place.

<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.

Exit codes: 0 ok · 2 usage, unknown environment, no database configured · 3 database unreachable,
backup corrupt or not found · 5 locked · 6 restore or down stopped in preflight, nothing changed (the
cause is named, e.g. REWIND_E_BACKUP_CORRUPT) · 11 drift · 1 the dump or the restore failed. See docs/errors.md.`;

const SUBCOMMANDS = ['backup', 'verify', 'prune', 'list', 'restore', 'drift', 'pitr', 'down'] as const;
const PITR_ACTIONS = ['check', 'base-backup', 'list'] as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { env: { type: 'string' }, 'dry-run': { type: 'boolean' }, all: { type: 'boolean' }, backup: { type: 'string' }, yes: { type: 'boolean', short: 'y' }, reason: { type: 'string' }, 'no-replay': { type: 'boolean' }, 'to-time': { type: 'string' }, 'data-dir': { type: 'string' }, port: { type: 'string' } },
    { min: 1, max: 3, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, ...rest] = args.positionals as [string, ...string[]];
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw unknownSubcommand('db', sub, SUBCOMMANDS, usage);
  // What each subcommand takes: verify a backup id or path; pitr an action, then the environment; the others the environment.
  const [action, givenEnv] = sub === 'pitr' ? [rest[0], rest[1]] : [undefined, sub === 'verify' ? undefined : rest[0]];
  const expected = sub === 'verify' ? [1, 1] : sub === 'pitr' ? [1, 2] : [0, 1];
  if (rest.length < expected[0]! || rest.length > expected[1]!) throw new RewindError('REWIND_E_USAGE', `db ${sub}: expected ${expected[0] === expected[1] ? expected[0] : `${expected[0]}–${expected[1]}`} argument(s) after it, got ${rest.length} — usage: ${usage}`);
  if (sub === 'pitr' && !(PITR_ACTIONS as readonly string[]).includes(action!)) throw unknownSubcommand('db pitr', action!, PITR_ACTIONS, usage);
  const context = await openContext(args, io);
  try {
    const json = args.flag('json');
    const environment = () => resolveEnvironment(givenEnv, Object.keys(context.config.environments), io, usage);
    if (sub === 'pitr') return await pitr(action as (typeof PITR_ACTIONS)[number], environment(), context, io, json);
    if (sub === 'restore' && args.string('to-time') !== undefined) return await restoreToTime(environment(), args, context, io, json);
    if (sub === 'restore') return await restore(environment(), args, context, io, json);
    if (sub === 'drift') return await drift(environment(), args, context, io, json);
    if (sub === 'down') return await down(environment(), args, context, io, json);
    const services = await buildServices(context, io, { json: false, quiet: true });
    if (sub === 'backup') {
      const env = environment();
      requireDatabase(env, environmentConfig(context.config, env));
      if (args.flag('dry-run')) {
        const { describePipeline } = await import('../../exec/process-executor.js');
        const plan = describeDatabaseBackup(services, env, { kind: 'manual' });
        const commands = plan.commands.map((stages) => describePipeline(stages));
        if (json) writeLine(io.stdout, toJson(redactor.redactValue({ dryRun: true, destination: plan.destination, commands })));
        else {
          writeLine(io.stdout, `would back up ${env} to ${plan.destination}`);
          for (const command of commands) writeLine(io.stdout, `  $ ${command}`);
          if (commands.length === 0) writeLine(io.stdout, '  (in process: SQLite online backup API)');
        }
        return 0;
      }
      const { backup, durationMs } = json
        ? await backupDatabase(services, env, { kind: 'manual' })
        : await liveStep(io, `back up ${env}`, (progress) => backupDatabase(services, env, { kind: 'manual', progress }));
      if (json) writeLine(io.stdout, toJson({ backup, durationMs }));
      else writeLine(io.stdout, `backup #${backup.id} ${backup.path} (${formatBytes(backup.size)}, sha256 ${backup.sha256}) in ${(durationMs / 1000).toFixed(1)} s`);
      return 0;
    }
    if (sub === 'verify') {
      const result = await verifyBackup(services, rest[0]!, { env: args.string('env') });
      if (!result.ok) {
        throw new RewindError('REWIND_E_BACKUP_CORRUPT', `backup #${result.backup.id} failed verification: ${result.reason ?? 'unknown reason'}`, {
          env: result.backup.env,
          backupId: result.backup.id,
          path: result.backup.path,
          reason: result.reason,
        });
      }
      if (json) writeLine(io.stdout, toJson({ ok: true, backup: result.backup }));
      else writeLine(io.stdout, `backup #${result.backup.id} ok: ${result.backup.path} matches sha256 ${result.backup.sha256} and is readable`);
      return 0;
    }
    const env = environment();
    requireDatabase(env, environmentConfig(context.config, env));
    if (sub === 'prune') {
      const outcome = await pruneBackups(services, env, { dryRun: args.flag('dry-run') });
      if (json) {
        writeLine(io.stdout, toJson({ dryRun: outcome.dryRun, deleted: outcome.deleted, kept: outcome.kept.map((k) => ({ id: k.backup.id, path: k.backup.path, reason: k.keptBecause })) }));
        return 0;
      }
      const verb = outcome.dryRun ? 'would delete' : 'deleted';
      for (const backup of outcome.deleted) writeLine(io.stdout, `${verb} #${backup.id} ${backup.path} (${formatBytes(backup.size)}, ${new Date(backup.createdAt).toISOString()})`);
      for (const kept of outcome.kept) writeLine(io.stdout, `kept   #${kept.backup.id} ${kept.backup.path}: ${kept.keptBecause}`);
      writeLine(io.stdout, `${outcome.deleted.length} ${outcome.dryRun ? 'to delete' : 'deleted'}, ${outcome.kept.length} kept`);
      return 0;
    }
    const backups = await context.ledger.listBackups(env, { includeDeleted: args.flag('all') });
    if (json) writeLine(io.stdout, toJson(backups));
    else {
      if (backups.length === 0) writeLine(io.stdout, `no backups recorded for ${env}`);
      for (const backup of backups) writeLine(io.stdout, listLine(backup));
    }
    return 0;
  } finally {
    await context.close();
  }
}

async function restore(env: string, args: ParsedArgs, context: CliContext, io: CliIo, json: boolean): Promise<number> {
  const raw = args.string('backup');
  if (raw !== undefined && !/^[1-9]\d*$/.test(raw)) throw new RewindError('REWIND_E_USAGE', `--backup takes a backup id from \`rewind db list ${env}\`, not ${JSON.stringify(raw)}`, { argument: '--backup' });
  const options = { backupId: raw === undefined ? undefined : Number(raw), reason: args.string('reason') };
  const dryRun = args.flag('dry-run');
  if (!dryRun && !args.flag('yes')) {
    throw new RewindError('REWIND_E_CONFIRM_REQUIRED', 'db restore replaces the database and stops the app meanwhile: review it with --dry-run, then pass --yes', { argument: '--yes' });
  }
  const services = await buildServices(context, io, { json, quiet: dryRun });
  return finishOperation(await restoreDatabase(services, env, { ...options, dryRun }), io, json);
}

async function pitr(action: (typeof PITR_ACTIONS)[number], env: string, context: CliContext, io: CliIo, json: boolean): Promise<number> {
  const core = await import('../../core/database/database-pitr.js');
  const services = await buildServices(context, io, { json: false, quiet: true });
  if (action === 'check') {
    const result = await core.checkPitrReadiness(services, env);
    if (json) writeLine(io.stdout, toJson(result));
    else for (const check of result.checks) writeLine(io.stdout, `${check.ok ? styleOf(io).ok('✓') : styleOf(io).bad('✗')} ${check.name}: ${check.detail}`);
    if (!result.ok) {
      const failedChecks = result.checks.filter((c) => !c.ok).map((c) => c.name);
      throw new RewindError('REWIND_E_PITR_NOT_READY', `point-in-time recovery of ${env} is not possible now: ${failedChecks.join(', ')} failed`, { env, failed: failedChecks });
    }
    return 0;
  }
  if (action === 'base-backup') {
    const backup = json ? await core.takePitrBaseBackup(services, env) : await liveStep(io, `base backup of ${env}`, () => core.takePitrBaseBackup(services, env));
    if (json) writeLine(io.stdout, toJson(backup));
    else writeLine(io.stdout, `base backup ${backup.path} (${formatBytes(backup.size)}, sha256 ${backup.sha256.slice(0, 12)}…), WAL ${backup.startLsn}–${backup.endLsn}, ended ${backup.endTime}`);
    return 0;
  }
  const backups = await core.listBaseBackups(services, env);
  if (json) writeLine(io.stdout, toJson(backups));
  else if (backups.length === 0) writeLine(io.stdout, `no base backups of ${env}`);
  else for (const b of backups) writeLine(io.stdout, `${b.endTime}  ${formatBytes(b.size).padStart(9)}  ${b.sha256.slice(0, 12)}  ${b.path}`);
  return 0;
}

async function restoreToTime(env: string, args: ParsedArgs, context: CliContext, io: CliIo, json: boolean): Promise<number> {
  const rawPort = args.string('port');
  if (rawPort !== undefined && !/^[1-9]\d{0,4}$/.test(rawPort)) throw new RewindError('REWIND_E_USAGE', `--port takes a TCP port, not ${JSON.stringify(rawPort)}`, { argument: '--port' });
  if (args.string('backup') !== undefined) throw new RewindError('REWIND_E_USAGE', '--backup names a dump to restore; --to-time picks a base backup by itself: use one or the other', { argument: '--backup' });
  const { planPointInTimeRestore, restoreToPointInTime } = await import('../../core/database/database-pitr.js');
  const services = await buildServices(context, io, { json: false, quiet: true });
  const options = { toTime: args.string('to-time')!, dataDir: args.string('data-dir'), port: rawPort === undefined ? undefined : Number(rawPort) };
  if (args.flag('dry-run')) {
    const plan = await planPointInTimeRestore(services, env, options);
    if (json) writeLine(io.stdout, toJson({ dryRun: true, plan }));
    else {
      writeLine(io.stdout, `would recover ${env} to ${plan.toTime} from base backup ${plan.baseBackup.path} (ended ${plan.baseBackup.endTime})`);
      writeLine(io.stdout, `  into a new data directory ${plan.dataDir}, server on 127.0.0.1:${plan.port}, WAL from ${plan.archiveDir}`);
      writeLine(io.stdout, '(dry run: nothing was changed)');
    }
    return 0;
  }
  if (!args.flag('yes')) throw new RewindError('REWIND_E_CONFIRM_REQUIRED', 'db restore --to-time starts a recovered PostgreSQL server: review it with --dry-run, then pass --yes', { argument: '--yes' });
  const result = await restoreToPointInTime(services, env, options);
  if (json) writeLine(io.stdout, toJson(result));
  else {
    writeLine(io.stdout, `recovered ${env} to ${result.targetTime} from base backup ${result.baseBackup.path} in ${(result.durationMs / 1000).toFixed(1)} s`);
    writeLine(io.stdout, `  server: 127.0.0.1:${result.port} (pid ${result.pid}), data directory ${result.dataDir}, timeline ${result.timeline}`);
    if (result.lastReplayedCommit) writeLine(io.stdout, `  last replayed commit: ${result.lastReplayedCommit}`);
    writeLine(io.stdout, `  inspect it, then move data or traffic over; stop it with pg_ctl -D ${result.dataDir} stop`);
  }
  return 0;
}

async function down(env: string, args: ParsedArgs, context: CliContext, io: CliIo, json: boolean): Promise<number> {
  const { migrateDown } = await import('../../core/operations/migrate-down.js');
  const reason = args.string('reason');
  if (args.flag('dry-run') || !args.flag('yes')) {
    // Seed 003: read the down before running it. Without --yes this shows it and stops.
    const preview = await migrateDown(await buildServices(context, io, { json, quiet: true }), env, { dryRun: true, reason });
    if (args.flag('dry-run')) return finishOperation(preview, io, json);
    writeLine(io.stdout, json ? toJson(redactor.redactValue({ plan: preview.plan })) : renderPlan(preview.plan));
    throw new RewindError('REWIND_E_CONFIRM_REQUIRED', 'db down reverts a migration and may lose data (see the findings above): pass --yes to run it', { argument: '--yes' });
  }
  return finishOperation(await migrateDown(await buildServices(context, io, { json }), env, { reason }), io, json);
}

async function drift(env: string, args: ParsedArgs, context: CliContext, io: CliIo, json: boolean): Promise<number> {
  requireDatabase(env, environmentConfig(context.config, env));
  const { detectDrift } = await import('../../core/database/database-drift.js');
  const report = await detectDrift(await buildServices(context, io, { json: false, quiet: true }), env, { replay: !args.flag('no-replay') });
  if (json) writeLine(io.stdout, toJson(report));
  else {
    for (const comparison of report.comparisons) {
      writeLine(io.stdout, `${comparison.differences.length ? styleOf(io).bad('✗') : styleOf(io).ok('✓')} against ${comparison.description}: ${comparison.differences.length ? `${comparison.differences.length} difference(s)` : 'no drift'}`);
      if (comparison.text) writeLine(io.stdout, comparison.text.replace(/^/gm, '    '));
    }
    for (const note of report.notes) writeLine(io.stdout, `  note: ${note}`);
  }
  if (!report.drift) return 0;
  const counts = report.comparisons.filter((c) => c.differences.length).map((c) => `${c.differences.length} against ${c.against === 'recorded' ? 'the recorded schema' : 'the replayed migrations'}`);
  throw new RewindError('REWIND_E_DRIFT', `the live schema of ${env} drifted: ${counts.join(', ')}`, { env, release: report.release });
}

function listLine(backup: BackupRecord): string {
  const state = backup.deletedAt !== null ? ' (pruned)' : '';
  return `#${String(backup.id).padEnd(5)} ${new Date(backup.createdAt).toISOString()}  ${backup.kind.padEnd(11)} ${(backup.releaseVersion ?? '—').padEnd(12)} ${formatBytes(backup.size).padStart(9)}  ${backup.sha256.slice(0, 12)}  ${backup.path}${state}`;
}

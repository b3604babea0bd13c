import { environmentConfig } from '../../config/load-config.js';
import { backupDatabase, describeDatabaseBackup, pruneBackups, requireDatabase, verifyBackup } from '../../core/database-backup.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { BackupRecord } from '../../ports/ledger.js';
import { redactor } from '../../util/redact.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext, type CliContext } from '../cli-context.js';
import { parseCommandArgs, type ParsedArgs } from '../parse-args.js';
import { restoreDatabase } from '../../core/operations.js';
import { finishOperation } from './operation-output.js';

export const usage = `rewind db backup <env> [--dry-run] [--json]
       rewind db verify <backup-id|path> [--env <env>] [--json]
       rewind db prune <env> [--dry-run] [--json]
       rewind db list <env> [--all] [--json]
       rewind db restore <env> [--backup <id>] [--dry-run] [--yes] [--reason <text>] [--json]
       rewind db drift <env> [--no-replay] [--json]`;
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
  restore put a recorded backup back (default: the newest pre-upgrade backup), as seed 000 says:
          check its sha256 and readability (refused before anything is touched) → stop the app →
          safety backup of the current state (seed 002) → restore → verify the migration table and
          the critical tables' row counts against the backup's record → start the app again → health.
          Every step is journaled (\`rewind history\`); a failed restore names the safety backup and
          the command that puts it back. Needs --yes (or --dry-run to see the plan, argv included).
  drift   compare the live schema (read from the catalog) with the schema recorded when the current
          release became current, and with the schema its migrations build when replayed into a
          scratch database on the same server (dropped afterwards; --no-replay skips it). Prints a
          diff (- expected, + found, ~ changed) and exits 11 (REWIND_E_DRIFT) on any difference.
          PostgreSQL only. Every deploy runs the first comparison in preflight (database.driftCheck).

Exit codes: 0 ok · 2 usage, unknown environment, no database configured · 3 database unreachable,
backup corrupt or not found · 5 locked · 11 drift · 1 the dump or the restore failed. See docs/errors.md.`;

const SUBCOMMANDS = ['backup', 'verify', 'prune', 'list', 'restore', 'drift'] as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { env: { type: 'string' }, 'dry-run': { type: 'boolean' }, all: { type: 'boolean' }, backup: { type: 'string' }, yes: { type: 'boolean', short: 'y' }, reason: { type: 'string' }, 'no-replay': { type: 'boolean' } },
    { min: 2, max: 2, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, target] = args.positionals as [string, string];
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new RewindError('REWIND_E_USAGE', `unknown subcommand db ${JSON.stringify(sub)} — usage: ${usage}`);
  const context = await openContext(args, io);
  try {
    const json = args.flag('json');
    if (sub === 'restore') return await restore(target, args, context, io, json);
    if (sub === 'drift') return await drift(target, args, context, io, json);
    const services = await buildServices(context, io, { json: false, quiet: true });
    if (sub === 'backup') {
      const env = target;
      requireDatabase(env, environmentConfig(context.config, env));
      if (args.flag('dry-run')) {
        const { describePipeline } = await import('../../exec/process-executor.js');
        const plan = describeDatabaseBackup(services, env, { kind: 'manual' });
        const commands = plan.commands.map((stages) => describePipeline(stages));
        if (json) writeLine(io.stdout, JSON.stringify(redactor.redactValue({ dryRun: true, destination: plan.destination, commands })));
        else {
          writeLine(io.stdout, `would back up ${env} to ${plan.destination}`);
          for (const command of commands) writeLine(io.stdout, `  $ ${command}`);
          if (commands.length === 0) writeLine(io.stdout, '  (in process: SQLite online backup API)');
        }
        return 0;
      }
      if (!json) writeLine(io.stdout, `backing up ${env}…`);
      const { backup, durationMs } = await backupDatabase(services, env, { kind: 'manual' });
      if (json) writeLine(io.stdout, JSON.stringify({ backup, durationMs }));
      else writeLine(io.stdout, `backup #${backup.id} ${backup.path} (${formatBytes(backup.size)}, sha256 ${backup.sha256}) in ${(durationMs / 1000).toFixed(1)} s`);
      return 0;
    }
    if (sub === 'verify') {
      const result = await verifyBackup(services, target, { env: args.string('env') });
      if (!result.ok) {
        throw new RewindError('REWIND_E_BACKUP_CORRUPT', `backup #${result.backup.id} failed verification: ${result.reason ?? 'unknown reason'}`, {
          backupId: result.backup.id,
          path: result.backup.path,
          reason: result.reason,
        });
      }
      if (json) writeLine(io.stdout, JSON.stringify({ ok: true, backup: result.backup }));
      else writeLine(io.stdout, `backup #${result.backup.id} ok: ${result.backup.path} matches sha256 ${result.backup.sha256} and is readable`);
      return 0;
    }
    const env = target;
    requireDatabase(env, environmentConfig(context.config, env));
    if (sub === 'prune') {
      const outcome = await pruneBackups(services, env, { dryRun: args.flag('dry-run') });
      if (json) {
        writeLine(io.stdout, JSON.stringify({ dryRun: outcome.dryRun, deleted: outcome.deleted, kept: outcome.kept.map((k) => ({ id: k.backup.id, path: k.backup.path, reason: k.keptBecause })) }));
        return 0;
      }
      const verb = outcome.dryRun ? 'would delete' : 'deleted';
      for (const backup of outcome.deleted) writeLine(io.stdout, `${verb} #${backup.id} ${backup.path} (${formatBytes(backup.size)}, ${new Date(backup.createdAt).toISOString()})`);
      for (const kept of outcome.kept) writeLine(io.stdout, `kept   #${kept.backup.id} ${kept.backup.path}: ${kept.keptBecause}`);
      writeLine(io.stdout, `${outcome.deleted.length} ${outcome.dryRun ? 'to delete' : 'deleted'}, ${outcome.kept.length} kept`);
      return 0;
    }
    const backups = await context.ledger.listBackups(env, { includeDeleted: args.flag('all') });
    if (json) writeLine(io.stdout, JSON.stringify(backups));
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

async function drift(env: string, args: ParsedArgs, context: CliContext, io: CliIo, json: boolean): Promise<number> {
  requireDatabase(env, environmentConfig(context.config, env));
  const { detectDrift } = await import('../../core/database-drift.js');
  const report = await detectDrift(await buildServices(context, io, { json: false, quiet: true }), env, { replay: !args.flag('no-replay') });
  if (json) writeLine(io.stdout, JSON.stringify(report));
  else {
    for (const comparison of report.comparisons) {
      writeLine(io.stdout, `${comparison.differences.length ? '✗' : '✓'} against ${comparison.description}: ${comparison.differences.length ? `${comparison.differences.length} difference(s)` : 'no drift'}`);
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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

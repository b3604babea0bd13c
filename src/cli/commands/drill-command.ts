import { drillInterrupted } from '../../core/drills/interrupted-drills.js';
import { runDatabaseDrill, type DatabaseDrillOutcome } from '../../core/drills/database-drill.js';
import { runFailureDrill, type FailureDrillOutcome } from '../../core/drills/failure-drill.js';
import { environmentConfig } from '../../config/load-config.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { DrillFailure, DrillRecord } from '../../ports/ledger.js';
import { toJson } from '../../util/iso-times.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs } from '../parse-args.js';

export const usage = `rewind drill [<env>] [--failure health|smoke|migration] [--force --reason T] [--dry-run] [--json]
       rewind drill [<env>] --database [--force --reason T] [--dry-run] [--json]
       rewind drill history [<env>] [--limit N] [--json]`;
export const help = `${usage}

Practise the rollback before you need it (quarterly is the usual advice). A failure drill derives a
drill release from the release running now: rewind's stored copy of its artifact plus
rewind-drill.json (the app reads it: its version, and which check to fail) and, for a migration
drill, one migration that always fails. rewind registers it (marked as a drill: never a last known
good, never a rollback target, not a deploy in any statistics), deploys it with automatic rollback,
and reads from the journal whether the failure was detected where it was injected and the running
release restored and verified (health, smoke), and how long each took:
  time to detect   the deploy's start → its first failed check
  time to recover  that failed check → the rollback's checks all passed (service restored)
A failure that goes unnoticed is a failed drill (exit 1), and rewind puts the running release back.

--database restores the newest backup into a scratch database (PostgreSQL: a temporary database on
the same server, dropped afterwards; SQLite: a temporary file), never the live one, and checks its
migration history and the row counts recorded when it was taken. The result is recorded on the
backup: \`rewind status\` calls a backup never test-restored untrusted.

Drills refuse a production environment (environments.<env>.production, by default the one named
production): REWIND_E_DRILL_PRODUCTION, nothing changed, unless --force --reason "..." (audited in
the drill_start event and the drill's record). \`status\` warns when the last passing drill is older
than drills.maxAgeDays (90). \`history\` lists drills, newest first, with their times.

Options:
  --failure K          health (default), smoke or migration
  --database           test-restore the newest backup instead
  --force --reason T   drill a production environment anyway; the reason is recorded
  --dry-run            say what the drill would do and change nothing
  --json               print the result as JSON

Exit codes: 0 the drill passed; 1 it found a gap (REWIND_E_DRILL_FAILED: read \`drill history\`);
2 bad input or a production environment (REWIND_E_DRILL_PRODUCTION); 4 not ready or not supported
here (REWIND_E_DRILL_NOT_READY, REWIND_E_DRILL_UNSUPPORTED), nothing changed. See docs/drills.md.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { failure: { type: 'string' }, database: { type: 'boolean' }, force: { type: 'boolean' }, reason: { type: 'string' }, 'dry-run': { type: 'boolean' }, limit: { type: 'string' } },
    { min: 0, max: 2, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const json = args.flag('json');
  const context = await openContext(args, io);
  try {
    const names = Object.keys(context.config.environments);
    const [first, second] = args.positionals as [string | undefined, string | undefined];
    if (first === 'history' && !names.includes('history')) {
      const env = second;
      if (env !== undefined) environmentConfig(context.config, env);
      const limit = Number(args.string('limit') ?? '20');
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RewindError('REWIND_E_USAGE', `--limit must be an integer from 1 to 10000, not ${JSON.stringify(args.string('limit'))}`, { argument: '--limit' });
      const drills = await context.ledger.listDrills({ env, limit });
      if (json) writeLine(io.stdout, toJson(drills));
      else if (drills.length === 0) writeLine(io.stdout, `no drills${env ? ` on ${env}` : ''}: run \`rewind drill <env>\``);
      else for (const drill of drills) writeLine(io.stdout, describeDrill(drill));
      return 0;
    }
    if (second !== undefined) throw new RewindError('REWIND_E_USAGE', `expected at most one environment, got ${args.positionals.length} arguments — usage: ${usage}`);
    const env = resolveEnvironment(first, names, io, usage);
    const failure = args.string('failure');
    if (args.flag('database') && failure !== undefined) throw new RewindError('REWIND_E_USAGE', '--database and --failure are two different drills: give one', { argument: '--failure' });
    const permission = { force: args.flag('force'), reason: args.string('reason'), dryRun: args.flag('dry-run') };
    const services = await buildServices(context, io, { json, quiet: true });
    if (args.flag('database')) return finish(await runDatabaseDrill(services, env, permission), io, json);
    return finish(await runFailureDrill(services, env, { ...permission, failure: (failure ?? 'health') as DrillFailure }), io, json);
  } finally {
    await context.close();
  }
}

function finish(outcome: FailureDrillOutcome | DatabaseDrillOutcome, io: CliIo, json: boolean): number {
  if (json) writeLine(io.stdout, toJson({ ok: outcome.ok, dryRun: outcome.dryRun ?? false, plan: outcome.plan, drill: outcome.drill ?? null, ...('checks' in outcome ? { checks: outcome.checks ?? null } : {}) }));
  else if (outcome.dryRun) {
    for (const [key, value] of Object.entries(outcome.plan)) writeLine(io.stdout, `${key.padEnd(14)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`);
    writeLine(io.stdout, '(dry run: nothing was changed)');
  } else if (outcome.drill) writeLine(io.stdout, describeDrill(outcome.drill));
  if (!json && 'checks' in outcome) for (const check of outcome.checks ?? []) writeLine(io.stdout, `  ${check.ok ? '✓' : '✗'} ${check.check}: ${check.detail}`);
  if (outcome.error) throw outcome.error;
  return 0;
}

function describeDrill(drill: DrillRecord): string {
  const what = drill.kind === 'database' ? `database (backup #${drill.backupId})` : `${drill.failure} ${drill.fromVersion ?? 'none'} → ${drill.drillVersion ?? '?'}`;
  const times = drill.kind === 'failure' && drill.state !== 'running' ? `, detected in ${drill.ttdMs ?? '–'} ms, recovered in ${drill.ttrMs ?? '–'} ms` : '';
  const state = drillInterrupted(drill) ? `interrupted (its process, pid ${drill.owner!.pid}, is gone; \`rewind resume ${drill.env}\` closes it)` : drill.state;
  const gap = typeof drill.detail.gap === 'string' ? `: ${drill.detail.gap}` : '';
  const forced = drill.forcedReason ? ` (forced on production: ${drill.forcedReason})` : '';
  return `#${drill.id}  ${drill.env}  ${new Date(drill.startedAt).toISOString()}  ${what}  ${state}${times}${forced}${gap}`;
}

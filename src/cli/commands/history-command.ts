import { environmentConfig } from '../../config/load-config.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { openContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-args.js';
import { resolveEnvironment } from '../environment-argument.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { Plan } from '../../core/plan.js';
import { describeDatabase } from '../human-renderer.js';
import { toJson } from '../../util/iso-times.js';

export const usage = 'rewind history [<env>] [--limit N] [--events] [--json]';
export const help = `${usage}

List the environment's operations, newest first, with each step of the journal and, for rollbacks,
restores and downs, what happened to the database and why (code-only, restore, down); --events shows
the append-only audit log instead (who did what, when, from which release to which, and whether a
rollback was automatic or manual). Times are ISO 8601 UTC, as in \`rewind status\`, in the human
view and in --json alike.

<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.

Options:
  --limit N   how many operations (or events) to show (default 20)
  --events    show the audit events instead of operations
  --json      one JSON document (operations with their steps, or events)`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { limit: { type: 'string' }, events: { type: 'boolean' } }, { min: 0, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const limit = Number(args.string('limit') ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RewindError('REWIND_E_USAGE', `--limit must be an integer from 1 to 10000, not ${JSON.stringify(args.string('limit'))}`);
  const context = await openContext(args, io);
  try {
    const env = resolveEnvironment(args.positionals[0], Object.keys(context.config.environments), io, usage);
    environmentConfig(context.config, env);
    const { ledger } = context;
    if (args.flag('events')) {
      const events = await ledger.listEvents(env, { limit });
      if (args.flag('json')) writeLine(io.stdout, toJson(events));
      else for (const e of events) writeLine(io.stdout, `${new Date(e.at).toISOString()}  ${e.event.padEnd(18)} ${e.actor}  ${e.fromVersion ?? ''}${e.toVersion ? ` → ${e.toVersion}` : ''}  ${summarize(e.data)}`);
      return 0;
    }
    const operations = await ledger.listOperations(env, { limit });
    // The plan stays out (it is large), but what a rollback did to the database, and why, is part of its story.
    const withSteps = await Promise.all(
      operations.map(async (op) => {
        const database = (op.plan as Plan | null)?.database;
        return { ...op, plan: undefined, ...(database ? { database } : {}), steps: await ledger.listSteps(op.id) };
      }),
    );
    if (args.flag('json')) {
      writeLine(io.stdout, toJson(withSteps));
      return 0;
    }
    if (operations.length === 0) writeLine(io.stdout, `no operations on ${env} yet`);
    for (const op of withSteps) {
      const duration = op.finishedAt ? `${op.finishedAt - op.startedAt} ms` : 'unfinished';
      writeLine(io.stdout, `${new Date(op.startedAt).toISOString()}  ${op.kind.padEnd(8)} ${op.fromVersion ?? 'none'} → ${op.toVersion}  ${op.state}  ${duration}  ${op.actor}  ${op.id}${op.parentId ? ` (after ${op.parentId})` : ''}`);
      if (op.error) writeLine(io.stdout, `    why: ${op.error}`);
      if (op.database) writeLine(io.stdout, `    database: ${describeDatabase(op.database)}`);
      for (const step of op.steps) {
        const ms = step.finishedAt ? `${step.finishedAt - step.startedAt} ms` : 'in flight';
        const message = (step.detail as { message?: string })?.message;
        writeLine(io.stdout, `    ${step.state.padEnd(10)} ${step.stepId.padEnd(18)} ${ms.padStart(9)}${step.attempt > 1 ? `  attempt ${step.attempt}` : ''}${message ? `  ${message}` : ''}`);
      }
    }
    return 0;
  } finally {
    await context.close();
  }
}

function summarize(data: Record<string, unknown>): string {
  const keys = ['step', 'status', 'success', 'durationMs', 'trigger', 'mode', 'backupId', 'reasons', 'reason', 'error'];
  return keys.filter((k) => data[k] !== undefined).map((k) => `${k}=${typeof data[k] === 'string' ? data[k] : JSON.stringify(data[k])}`).join(' ');
}

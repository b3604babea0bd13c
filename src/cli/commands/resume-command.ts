import { closeInterruptedDrills } from '../../core/drills/interrupted-drills.js';
import { resume } from '../../core/operations/resume.js';
import { lookUpEnvironment } from '../../core/resolved-environment.js';
import type { CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-args.js';
import { writeLine } from '../cli-io.js';
import { RewindError } from '../../errors/rewind-error.js';

export const usage = 'rewind resume [<env>] [--abandon] [--json]';
export const help = `${usage}

Continue an operation that was interrupted (the runner crashed or was killed): steps the journal
records as succeeded are skipped, the step that was in flight runs again (steps are idempotent), and
a failed deploy still rolls back by itself. A lock left by a process that is gone is taken over.
Without <env>, every environment in rewind.yaml that has an unfinished operation is resumed.
A drill whose process is gone (killed before it recorded a result) is closed as failed, marked
interrupted; the deploy or rollback it had started is resumed like any other.

A Ctrl-C or SIGTERM stops a resume like any operation: at the next safe point between two steps.

Options:
  --abandon   do not continue: close the step in flight as abandoned, bring the link and the ledger
              to what really serves (without restarting anything), and leave no release half-way:
              one of the operation's releases that serves is "live", one that does not is
              "failed", one rolled back from is "rolled-back"; a release that was good before
              the operation keeps that verdict (a switch is no verdict). If processes still
              serve two releases (a reload cut short), it says so: run \`rewind repair <env>\` then.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { abandon: { type: 'boolean' } }, { min: 0, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const context = await openContext(args, io);
  try {
    const services = await buildServices(context, io, { json: args.flag('json') });
    const named = args.positionals[0];
    // An environment not in rewind.yaml is refused with its code before anything is looked at.
    if (named !== undefined) lookUpEnvironment(context.config, named);
    // Only environments of this rewind.yaml: a ledger shared with other configs keeps their drills as they are.
    const closedDrills = [];
    for (const env of named !== undefined ? [named] : Object.keys(context.config.environments)) closedDrills.push(...(await closeInterruptedDrills(services, env)));
    if (!args.flag('json')) for (const d of closedDrills) writeLine(io.stdout, `closed drill #${d.id} on ${d.env} as failed: interrupted (its process, pid ${d.owner!.pid}, is gone)`);
    const running = await context.ledger.findRunningOperations(named);
    let envs = [...new Set(running.map((op) => op.env))].filter((env) => Object.hasOwn(context.config.environments, env));
    if (named !== undefined && (envs.length > 0 || closedDrills.length === 0)) envs = [named];
    if (envs.length === 0) {
      if (closedDrills.length > 0) return 0;
      throw new RewindError('REWIND_E_NOTHING_TO_RESUME', 'no environment has an unfinished operation');
    }
    const outcomes = [];
    for (const env of envs) outcomes.push(...(await resume(services, env, { abandon: args.flag('abandon') })));
    if (args.flag('abandon') && !args.flag('json')) {
      for (const o of outcomes) {
        writeLine(io.stdout, `abandoned ${o.operation?.kind} ${o.plan.from ?? 'none'} → ${o.plan.to} (${o.operation?.id})`);
        for (const problem of o.problems ?? []) writeLine(io.stdout, `  still inconsistent: ${problem} — run \`rewind repair ${o.plan.env}\``);
      }
    }
    const failed = outcomes.find((o) => o.error);
    if (failed?.error) throw failed.error;
    return 0;
  } finally {
    await context.close();
  }
}

import { repair } from '../../core/operations/repair.js';
import type { CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs } from '../parse-args.js';
import { finishOperation } from './operation-output.js';

export const usage = 'rewind repair [<env>] [--dry-run] [--reason <text>] [--json]';

export const help = `${usage}

Make the ledger, the target's \`current\` link and the processes that serve agree again, from what
really serves. \`rewind status\` shows when they disagree (after a crash outside an operation, a
Ctrl-C before this version of rewind, or a hand-run \`pm2\`/\`ln\`); deploys refuse to plan from a
record that is wrong, and point here.

What repair does, decided from what serves (print it with --dry-run):
  one release on every process    point the link and the ledger at it; nothing restarts
  several releases (a reload cut  activate the one the link names (else the one most processes
  short across processes)         run) again, so every process runs it
  nothing runs                    start the release the ledger records (else the link's)
  the runtime cannot tell         record the link's release in the ledger
then record it as current (a release left "deploying" becomes live, or failed when it is not the
one serving) and probe its health. It is journaled and audited like every operation
(repair_start / repair_complete), and a crash in it is resumed with \`rewind resume\`.
An unfinished operation is not repaired: \`rewind resume\` continues or abandons it first.
<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.

Options:
  --dry-run          print what was found and the plan, and change nothing
  --reason <text>    why, for the audit log
  --json             print events as JSON lines

Exit codes: 0 repaired and healthy; 4 nothing to repair (everything agrees); 5 locked or an
operation is unfinished; 8 the release that serves now fails its health check (see docs/errors.md).`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' }, reason: { type: 'string' } }, { min: 0, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const context = await openContext(args, io);
  try {
    const services = await buildServices(context, io, { json: args.flag('json'), quiet: args.flag('dry-run') });
    const env = resolveEnvironment(args.positionals[0], Object.keys(context.config.environments), io, usage);
    const outcome = await repair(services, env, { dryRun: args.flag('dry-run'), reason: args.string('reason') });
    return finishOperation(outcome, io, args.flag('json'));
  } finally {
    await context.close();
  }
}

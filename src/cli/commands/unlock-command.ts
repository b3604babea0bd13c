import { forceUnlock } from '../../core/operations/force-unlock.js';
import { RewindError } from '../../errors/rewind-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs } from '../parse-args.js';
import { toJson } from '../../util/iso-times.js';

export const usage = 'rewind unlock [<env>] --force --reason <text>';
export const help = `${usage}

Remove an environment's lock whoever holds it. Use it only when the holder is gone and \`rewind
resume\` cannot take the lock over (for example a holder on another host). The reason and the
previous holder land in the audit log. An unfinished operation stays unfinished: run \`rewind resume\`.
<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { force: { type: 'boolean' }, reason: { type: 'string' } }, { min: 0, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  if (!args.flag('force')) throw new RewindError('REWIND_E_USAGE', `unlock needs --force: it can break a running operation — usage: ${usage}`, { argument: '--force' });
  const context = await openContext(args, io);
  try {
    const services = await buildServices(context, io, { json: args.flag('json'), quiet: true });
    const env = resolveEnvironment(args.positionals[0], Object.keys(context.config.environments), io, usage);
    const result = await forceUnlock(services, env, args.string('reason') ?? '');
    if (args.flag('json')) writeLine(io.stdout, toJson(result));
    else writeLine(io.stdout, result.removed ? `removed the lock held by ${result.holder}` : 'the environment was not locked (recorded anyway)');
    return 0;
  } finally {
    await context.close();
  }
}

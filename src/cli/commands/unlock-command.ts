import { forceUnlock } from '../../core/operations.js';
import { RewindError } from '../../errors/rewind-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-args.js';

export const usage = 'rewind unlock <env> --force --reason <text>';
export const help = `${usage}

Remove an environment's lock whoever holds it. Use it only when the holder is gone and \`rewind
resume\` cannot take the lock over (for example a holder on another host). The reason and the
previous holder land in the audit log. An unfinished operation stays unfinished: run \`rewind resume\`.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { force: { type: 'boolean' }, reason: { type: 'string' } }, { min: 1, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  if (!args.flag('force')) throw new RewindError('REWIND_E_USAGE', `unlock needs --force: it can break a running operation — usage: ${usage}`, { argument: '--force' });
  const context = await openContext(args, io);
  try {
    const services = await buildServices(context, io, { json: args.flag('json'), quiet: true });
    const result = await forceUnlock(services, args.positionals[0]!, args.string('reason') ?? '');
    if (args.flag('json')) writeLine(io.stdout, JSON.stringify(result));
    else writeLine(io.stdout, result.removed ? `removed the lock held by ${result.holder}` : 'the environment was not locked (recorded anyway)');
    return 0;
  } finally {
    await context.close();
  }
}

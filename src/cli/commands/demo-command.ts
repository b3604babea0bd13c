import type { CliIo } from '../cli-io.js';
import { parseCommandArgs } from '../parse-args.js';

export const usage = 'rewind demo [--json] [--keep]';
export const help = `${usage}

A self-contained sandbox (temp directory, SQLite ledger, the sample app from examples/, real PM2
with its own PM2_HOME): deploys 1.0.0 (healthy, becomes good), deploys 1.1.0 (its health check
fails), rolls back to 1.0.0 by itself, checks 1.0.0 serves again, prints the timeline, and stops
every process it started. Needs PM2, an optional peer of rewind that is never bundled (AGPL-3.0):
\`npm install -g pm2\` beside a global rewind, \`npm install --save-dev pm2\` in the project of a
project-local one; without it the demo stops at once with REWIND_E_RUNTIME_UNAVAILABLE (exit 3),
whose message names the exact command.

Options:
  --json   print the event lines (JSON) instead of the human view
  --keep   keep the sandbox directory for inspection`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { keep: { type: 'boolean' } }, { min: 0, max: 0, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [{ runDemo }, { stdoutSink }] = await Promise.all([import('../../demo/run-demo.js'), import('../cli-context.js')]);
  const json = args.flag('json');
  const result = await runDemo(io, { json, keep: args.flag('keep'), view: () => stdoutSink(io, { json }) });
  return result.ok ? 0 : 1;
}

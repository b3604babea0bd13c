import { RewindError } from '../../errors/rewind-error.js';
import type { CliIo } from '../cli-io.js';
import { parseCommandArgs } from '../parse-args.js';

export const usage = 'rewind demo [--target compose] [--json] [--keep]';
export const help = `${usage}

A self-contained sandbox (temp directory, SQLite ledger, the sample app from examples/, real PM2
with its own PM2_HOME): deploys 1.0.0 (healthy, becomes good), deploys 1.1.0 (its health check
fails), rolls back to 1.0.0 by itself, checks 1.0.0 serves again, prints the timeline, and stops
every process it started. Needs PM2, an optional peer of rewind that is never bundled (AGPL-3.0):
\`npm install -g pm2\` beside a global rewind, \`npm install --save-dev pm2\` in the project of a
project-local one; without it the demo stops at once with REWIND_E_RUNTIME_UNAVAILABLE (exit 3),
whose message names the exact command.

With --target compose, the same story on a Docker Compose stack: two images of a busybox httpd
(1.1.0's container healthcheck fails) pushed to a throwaway local registry, deployed by digest,
and the automatic rollback to 1.0.0's digest. Needs a Docker engine that answers (DOCKER_HOST, or
the local socket), docker-compose or the Compose v2 plugin, docker-registry and a static busybox;
without an engine it stops with REWIND_E_DOCKER_UNAVAILABLE saying how to start one. It removes its
containers, images and registry when done.

Options:
  --target compose  run the demo on Docker Compose instead of PM2
  --json   print the event lines (JSON) instead of the human view
  --keep   keep the sandbox directory for inspection`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { keep: { type: 'boolean' }, target: { type: 'string' } }, { min: 0, max: 0, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const target = args.string('target');
  if (target !== undefined && target !== 'compose') throw new RewindError('REWIND_E_USAGE', `--target takes compose (the default demo runs PM2), not ${JSON.stringify(target)}`, { argument: '--target' });
  const [{ runDemo }, { runComposeDemo }, { stdoutSink }] = await Promise.all([import('../../demo/run-demo.js'), import('../../demo/compose-demo.js'), import('../cli-context.js')]);
  const json = args.flag('json');
  const options = { json, keep: args.flag('keep'), view: () => stdoutSink(io, { json }) };
  const result = target === 'compose' ? await runComposeDemo(io, options) : await runDemo(io, options);
  return result.ok ? 0 : 1;
}

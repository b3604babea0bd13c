import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { STARTER_CONFIG } from '../../config/starter-config.js';
import { RewindError } from '../../errors/rewind-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { parseCommandArgs } from '../parse-args.js';
import { toJson } from '../../util/iso-times.js';

export const usage = 'rewind init [--config <path>] [--force]';
export const help = `${usage}

Write a commented starter rewind.yaml with one environment, "production": every section an
environment has — target (and its slots), health, smoke, watch, flags, deploy, lock, notify, database,
state, traffic and ci (the CI gate) — each key with its default and a comment, the optional sections commented out (remove the
"# " in front of a section's lines to turn it on). The file passes \`rewind config check\` as written;
edit the paths, the app and the health URL, then check it. Refuses to overwrite an existing file
unless --force.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { force: { type: 'boolean' } }, { min: 0, max: 0, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const path = resolve(args.string('config') ?? 'rewind.yaml');
  if (existsSync(path) && !args.flag('force')) throw new RewindError('REWIND_E_CONFIG_EXISTS', `${path} already exists`, { path });
  writeFileSync(path, STARTER_CONFIG, { mode: 0o644 });
  writeLine(io.stdout, args.flag('json') ? toJson({ written: path }) : `wrote ${path} — edit it, then run \`rewind config check\``);
  return 0;
}

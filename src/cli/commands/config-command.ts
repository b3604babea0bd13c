// A named import, never `await import('zod')`: a dynamic import hands over zod's whole namespace, so
// the bundle would carry all of zod (every locale included) in the chunk every command loads.
import { toJSONSchema } from 'zod';
import { configSchema } from '../../config/config-schema.js';
import { loadConfig, resolveConfigPath } from '../../config/load-config.js';
import { redactor } from '../../util/redact.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { parseCommandArgs, unknownSubcommand } from '../parse-args.js';
import { toJson } from '../../util/iso-times.js';

export const usage = 'rewind config check|schema [--config <path>] [--json]';
export const help = `${usage}

  check    validate rewind.yaml: YAML syntax, every key against the schema (errors name the path,
           e.g. environments.production.target.path: required), and \${VAR} interpolation
  schema   print the JSON Schema of rewind.yaml, for editor completion and validation`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {}, { min: 1, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const sub = args.positionals[0];
  if (sub === 'schema') {
    writeLine(io.stdout, JSON.stringify(toJSONSchema(configSchema, { io: 'input' }), null, 2));
    return 0;
  }
  if (sub !== 'check') throw unknownSubcommand('config', sub!, ['check', 'schema'], usage);
  const { config, path } = loadConfig(resolveConfigPath(args.string('config'), io.env), io.env);
  const environments = Object.entries(config.environments).map(([name, env]) => ({
    name,
    target: env.target.type,
    // A compose target has neither: Docker runs its containers, from images, in its project.
    runtime: 'runtime' in env.target ? env.target.runtime.type : null,
    path: 'path' in env.target ? env.target.path : null,
    ...(env.target.type === 'compose' ? { project: env.target.project } : {}),
    health: env.health?.url ?? null,
  }));
  if (args.flag('json')) {
    writeLine(io.stdout, toJson(redactor.redactValue({ valid: true, path, ledger: config.ledger, artifactStore: config.artifacts.store, environments })));
    return 0;
  }
  writeLine(io.stdout, `${path} is valid`);
  writeLine(io.stdout, `  ledger: ${redactor.redact(config.ledger)}`);
  writeLine(io.stdout, `  artifact store: ${config.artifacts.store}`);
  for (const env of environments) {
    const where = 'project' in env ? `compose project ${env.project}` : `at ${env.path}, runtime ${env.runtime}`;
    writeLine(io.stdout, `  ${env.name}: ${env.target} target ${where}, health ${env.health ?? 'not configured'}`);
  }
  return 0;
}

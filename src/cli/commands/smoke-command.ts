import { environmentConfig } from '../../config/load-config.js';
import { inEnvironment, RewindError } from '../../errors/rewind-error.js';
import { parseVersion } from '../../util/semver.js';
import { styleOf, writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs } from '../parse-args.js';
import { liveStep } from '../live-step.js';
import { toJson } from '../../util/iso-times.js';

export const usage = 'rewind smoke [<env>] [--version <v>] [--json]';
export const help = `${usage}

Run the environment's smoke suite (environments.<env>.smoke.suite) against what it serves now, as a
deploy and a rollback do after activation: the steps in order (the first failure skips the rest),
then every cleanup step whatever happened. Prints each step with its HTTP status and time.
{{version}} in the suite is the current release (or --version).
<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.

Exit codes: 0 every step passed; 1 a step or a cleanup step failed; 2 no suite configured
(REWIND_E_NO_SMOKE_SUITE), the suite file is missing (REWIND_E_SMOKE_SUITE_NOT_FOUND) or invalid
(see docs/errors.md). Suite format: examples/smoke/minimal.yaml.`;

interface StepLine {
  name: string;
  phase: string;
  status: string;
  httpStatus?: number;
  ms: number;
  reason?: string;
}


export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { version: { type: 'string' } }, { min: 0, max: 1, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const context = await openContext(args, io);
  try {
    const env = resolveEnvironment(args.positionals[0], Object.keys(context.config.environments), io, usage);
    const config = environmentConfig(context.config, env);
    if (!config.smoke) throw new RewindError('REWIND_E_NO_SMOKE_SUITE', `${env} has no smoke suite: ${context.configPath} does not set environments.${env}.smoke`, { env, config: context.configPath });
    const given = args.string('version');
    const version = given !== undefined ? parseVersion(given, '--version') : ((await context.ledger.getEnvironment(env))?.currentVersion ?? 'unknown');
    const services = await buildServices(context, io, { json: false, quiet: true });
    const smoke = config.smoke;
    const run = (progress?: Parameters<typeof services.runSmoke>[2]) =>
      services.runSmoke(smoke, version, progress).catch((error: unknown) => {
        throw inEnvironment(error, env);
      });
    // The live line names the request in flight; the per-step list below is the record.
    const outcome = args.flag('json') ? await run() : await liveStep(io, `smoke suite against ${version}`, (progress) => run(progress));
    const steps = ((outcome.detail?.steps as StepLine[] | undefined) ?? []);
    if (args.flag('json')) writeLine(io.stdout, toJson({ env, version, status: outcome.status, message: outcome.message, ...outcome.detail }));
    else {
      const style = styleOf(io);
      const mark = (status: string) => (status === 'passed' ? style.ok('✓') : status === 'failed' ? style.bad('✗') : status === 'skipped' ? style.dim('-') : '?');
      for (const s of steps) {
        const tag = s.phase === 'cleanup' ? ' (cleanup)' : '';
        writeLine(io.stdout, `  ${mark(s.status)} ${style.dim(`${String(s.ms).padStart(5)} ms`)}  ${s.name}${tag}${s.httpStatus ? `  ${s.httpStatus}` : ''}${s.reason ? ` — ${s.reason}` : ''}`);
      }
      writeLine(io.stdout, outcome.status === 'succeeded' ? style.ok(`✓ ${outcome.message}`) : style.bad(`✗ ${outcome.message}`));
    }
    return outcome.status === 'succeeded' ? 0 : 1;
  } finally {
    await context.close();
  }
}

import { deploy } from '../../core/operations/deploy.js';
import type { CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs } from '../parse-args.js';
import { resolveEnvironmentAndVersion } from '../environment-argument.js';
import { finishOperation } from './operation-output.js';

export const usage = 'rewind deploy [<env>] <version> [--dry-run] [--no-auto-rollback] [--no-baseline] [--allow-untested] [--allow-breaking] [--json]';

export const help = `${usage}

Ship a registered release with a safety net. The plan (print it with --dry-run) is:
  record running release and commit → check free disk space → baseline health of the running
  release (when it is known good) → [database: pre-upgrade backup] → unpack and verify the artifact's sha256 →
  [migrations: check history and lint pending → apply] → activate (atomic symlink switch +
  reload) → health of the new release → mark it good → prune old releases.
With environments.<env>.database.migrations, a pending migration that is breaking and has no
down migration is refused in preflight (a rollback could not undo it), unless --allow-breaking.
A failure before activation changes nothing. A failure after activation rolls back by itself to
the last known good release (unless --no-auto-rollback or deploy.autoRollback: false).
With traffic: (blue-green or canary over target.slots), activation is: run the release on the idle
slot → health on that slot's own port (a failure there still changed nothing) → move traffic, all
at once (blue-green) or in traffic.canary.steps with the canary judged against the stable slot
between steps; a failed step sends all traffic back to stable at once (exit 7), a step without
data sends it back and pauses (exit 12).

<env> may be left out when rewind.yaml defines a single environment: \`rewind deploy 1.4.0\` deploys
to it (named on stderr). With one argument, it is the environment when rewind.yaml defines an
environment of that name (and the version is then missing: REWIND_E_USAGE), and the version
otherwise. With several environments, leaving <env> out is REWIND_E_USAGE naming them.

Options:
  --dry-run            print the plan, argv included, and change nothing
  --no-auto-rollback   leave a failed release in place instead of rolling back
  --no-baseline        skip the baseline health check of the running release
  --allow-untested     deploy a release whose CI result is "failed" (with a ci: gate, anything not "passed":
                       the checks are read from GitHub again now, docs/ci.md; the override is audited)
  --allow-breaking     apply a pending migration the lint calls breaking even without a down migration
  --json               print events as JSON lines instead of the step list
  -c, --config <path>  config file (default ./rewind.yaml or $REWIND_CONFIG)

Exit codes: 0 deployed and good; 6 stopped in preflight, nothing changed (the step's own code is
named as the cause, e.g. REWIND_E_MIGRATION_UNSAFE, REWIND_E_DRIFT); 7 failed and rolled back;
8 failed and not rolled back; 9 the rollback failed too; 12 the watch or a canary step paused
for lack of data (see docs/errors.md).`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { 'dry-run': { type: 'boolean' }, 'no-auto-rollback': { type: 'boolean' }, 'no-baseline': { type: 'boolean' }, 'allow-untested': { type: 'boolean' }, 'allow-breaking': { type: 'boolean' } },
    { min: 1, max: 2, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const context = await openContext(args, io);
  try {
    const { env, version } = resolveEnvironmentAndVersion(args.positionals, Object.keys(context.config.environments), io, usage);
    const services = await buildServices(context, io, { json: args.flag('json'), quiet: args.flag('dry-run') });
    const outcome = await deploy(services, env, version, {
      dryRun: args.flag('dry-run'),
      autoRollback: args.flag('no-auto-rollback') ? false : undefined,
      baseline: args.flag('no-baseline') ? false : undefined,
      allowUntested: args.flag('allow-untested'),
      allowBreaking: args.flag('allow-breaking'),
    });
    return finishOperation(outcome, io, args.flag('json'));
  } finally {
    await context.close();
  }
}

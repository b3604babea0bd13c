import { environmentConfig } from '../../config/load-config.js';
import { registerRelease } from '../../core/register-release.js';
import { RewindError } from '../../errors/rewind-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs, unknownSubcommand } from '../parse-args.js';
import { resolveEnvironment, resolveEnvironmentAndVersion } from '../environment-argument.js';
import { toJson } from '../../util/iso-times.js';

export const usage = 'rewind release register [<env>] <version> --artifact <dir|.tgz> [--commit SHA] [--ci passed|failed|unknown]\n       rewind release list [<env>] [--json]';
export const help = `${usage}

  register  record an immutable release: SemVer version (a leading v is accepted and dropped), the
            artifact (a directory or a .tgz) and its sha256, the git commit and the CI result.
            rewind keeps its own copy of the artifact (artifacts.store), which deploys and
            rollbacks unpack, so the build folder may be rebuilt or removed afterwards.
            Registering the same version with the same content again (from any path) does
            nothing; with different content it is an error (REWIND_E_RELEASE_DIGEST_CONFLICT).
  list      the environment's releases, newest first, with state and CI result.

Rolling back to a release whose CI did not pass needs --allow-untested.

<env> may be left out when rewind.yaml defines a single environment (named on stderr). For register,
one argument is the environment when rewind.yaml defines an environment of that name (the version
is then missing: REWIND_E_USAGE), and the version otherwise. With several environments, leaving
<env> out is REWIND_E_USAGE naming them.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { artifact: { type: 'string' }, commit: { type: 'string' }, ci: { type: 'string' } }, { min: 1, max: 3, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, ...rest] = args.positionals as [string, ...string[]];
  if (sub === 'list') {
    if (rest.length > 1) throw new RewindError('REWIND_E_USAGE', `release list takes one environment, got ${rest.length} arguments — usage: ${usage}`);
    return list(args, rest[0], io);
  }
  if (sub !== 'register') throw unknownSubcommand('release', sub, ['register', 'list'], usage);
  const artifact = args.string('artifact');
  if (!artifact) throw new RewindError('REWIND_E_USAGE', `release register needs --artifact <dir|.tgz>`, { argument: '--artifact' });
  const context = await openContext(args, io);
  try {
    const { env, version } = resolveEnvironmentAndVersion(rest, Object.keys(context.config.environments), io, usage);
    if (!version) throw new RewindError('REWIND_E_USAGE', `release register needs a <version>, not an empty argument — usage: ${usage}`, { argument: '<version>' });
    const services = await buildServices(context, io, { json: false, quiet: true });
    const { release, created, stored, copied } = await registerRelease(services, env, version, { artifact, commit: args.string('commit'), ci: args.string('ci') });
    if (args.flag('json')) writeLine(io.stdout, toJson({ created, release, stored, copied }));
    else if (created) writeLine(io.stdout, `registered ${env} ${release.version} (#${release.seq}) ${release.digest}`);
    else if (copied) writeLine(io.stdout, `${env} ${release.version} (#${release.seq}) already registered with this digest; its artifact was not in the store and is now stored at ${stored}`);
    else writeLine(io.stdout, `${env} ${release.version} (#${release.seq}) already registered with this digest (stored at ${stored}); nothing to do`);
    return 0;
  } finally {
    await context.close();
  }
}

async function list(args: ReturnType<typeof parseCommandArgs>, given: string | undefined, io: CliIo): Promise<number> {
  const context = await openContext(args, io);
  try {
    const env = resolveEnvironment(given, Object.keys(context.config.environments), io, usage);
    environmentConfig(context.config, env);
    const releases = await context.ledger.listReleases(env, { limit: 100 });
    if (args.flag('json')) writeLine(io.stdout, toJson(releases));
    else for (const r of releases) writeLine(io.stdout, `#${String(r.seq).padEnd(4)} ${r.version.padEnd(14)} ${r.state.padEnd(12)} CI ${r.ci.padEnd(8)} ${r.commit?.slice(0, 12) ?? '—'.padEnd(12)} ${r.digest.slice(0, 19)}`);
    return 0;
  } finally {
    await context.close();
  }
}

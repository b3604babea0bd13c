import { environmentConfig } from '../../config/load-config.js';
import { declareReleaseFlags } from '../../core/flags/release-flags.js';
import { registerRelease } from '../../core/register-release.js';
import { RewindError } from '../../errors/rewind-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs, unknownSubcommand } from '../parse-args.js';
import { resolveEnvironment, resolveEnvironmentAndVersion } from '../environment-argument.js';
import { toJson } from '../../util/iso-times.js';
import type { Services } from '../../core/services.js';

export const usage = 'rewind release register [<env>] <version> (--artifact <dir|.tgz> | --image <service>=<image>... | --task-definition <family:revision> | [--deployment <id|url|commit>]) [--commit SHA] [--commit-time ISO] [--ci passed|failed|unknown] [--flag NAME]...\n       rewind release list [<env>] [--json]';
export const help = `${usage}

  register  record an immutable release: SemVer version (a leading v is accepted and dropped), the
            artifact (a directory or a .tgz) and its sha256, the git commit and the CI result.
            rewind keeps its own copy of the artifact (artifacts.store), which deploys and
            rollbacks unpack, so the build folder may be rebuilt or removed afterwards.
            --commit-time ISO: when the commit was made (git log -1 --format=%cI); \`rewind
            report dora\` measures lead time for changes from it (without it, from the register
            time, and says so).
            Registering the same version with the same content again (from any path) does
            nothing; with different content it is an error (REWIND_E_RELEASE_DIGEST_CONFLICT).
            For a compose target, --image <service>=<repository:tag or repository@sha256:...>
            instead of --artifact, once per service the release changes: each tag is resolved to
            its digest once, now (docker pull, then the image's RepoDigests), and the release is
            the manifest of those digests, so a moved tag never changes what a rollback runs.
            For an ecs target, --task-definition <family:revision>: the revision's ARN and its
            container images (by digest when requireDigests) are the release.
            For a railway target, --deployment <deployment id | git commit SHA>: that Railway
            deployment of the service in the environment (by commit: the newest one built from it)
            is the release; its id is recorded, and a rollback to the release brings back exactly it.
            For a vercel target, no --artifact: the release is an existing production deployment,
            found by --deployment <dpl_id or URL>, else by --commit (the deployment built from it,
            meta.githubCommitSha), else by the deployment whose meta rewindVersion (target.metaKey)
            is the version. It must be READY; its deployment id is recorded with the release,
            and without --commit the commit Vercel built it from (meta.githubCommitSha).
            For a helm target, --artifact <dir> holding helm-release.json
            ({"chartVersion": "1.4.0", "values": {"image.digest": "sha256:..."}}): the chart version
            and the --set values are the release.
            --flag NAME (repeatable): a feature flag this release turns on. With the environment's
            flags.file configured, a rollback from this release turns them off and a later deploy
            of it restores them (docs/incidents.md).
            --ci passed|failed|unknown: the CI result, as your pipeline knows it (default unknown).
            With the environment's ci: gate configured (docs/ci.md) --ci is refused and --commit
            is required: rewind reads the commit's check runs and statuses from GitHub itself,
            records passed / failed / unknown (pending) with the evidence (event ci_checked; with
            --json, "ciEvidence"), and reads them again at every deploy and rollback.
  list      the environment's releases, newest first, with state and CI result.

Rolling back to a release whose CI did not pass needs --allow-untested.

<env> may be left out when rewind.yaml defines a single environment (named on stderr). For register,
one argument is the environment when rewind.yaml defines an environment of that name (the version
is then missing: REWIND_E_USAGE), and the version otherwise. With several environments, leaving
<env> out is REWIND_E_USAGE naming them.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { artifact: { type: 'string' }, image: { type: 'string', multiple: true }, 'task-definition': { type: 'string' }, deployment: { type: 'string' }, commit: { type: 'string' }, 'commit-time': { type: 'string' }, ci: { type: 'string' }, flag: { type: 'string', multiple: true } }, { min: 1, max: 3, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, ...rest] = args.positionals as [string, ...string[]];
  if (sub === 'list') {
    if (rest.length > 1) throw new RewindError('REWIND_E_USAGE', `release list takes one environment, got ${rest.length} arguments — usage: ${usage}`);
    return list(args, rest[0], io);
  }
  if (sub !== 'register') throw unknownSubcommand('release', sub, ['register', 'list'], usage);
  const given = args.string('artifact');
  const images = parseImages(args.strings('image'));
  const taskDefinition = args.string('task-definition');
  if (taskDefinition && (given || images)) throw new RewindError('REWIND_E_USAGE', 'release register takes one of --artifact, --image and --task-definition', { argument: '--task-definition' });
  if (given && images) throw new RewindError('REWIND_E_USAGE', 'release register takes --artifact or --image, not both', { argument: '--image' });
  const deployment = args.string('deployment');
  if (deployment !== undefined && (given || images || taskDefinition)) throw new RewindError('REWIND_E_USAGE', 'release register takes --deployment (a vercel or railway target) without --artifact, --image or --task-definition', { argument: '--deployment' });
  const context = await openContext(args, io);
  try {
    const { env, version } = resolveEnvironmentAndVersion(rest, Object.keys(context.config.environments), io, usage);
    if (!version) throw new RewindError('REWIND_E_USAGE', `release register needs a <version>, not an empty argument — usage: ${usage}`, { argument: '<version>' });
    const services = await buildServices(context, io, { json: false, quiet: true });
    // A vercel or railway release: its deployment's manifest, and the commit the platform built it from when --commit was not given.
    const found = given || taskDefinition || images ? null : await deploymentManifest(services, env, { version, deployment, commit: args.string('commit') });
    const artifact = given ?? (taskDefinition ? await taskDefinitionManifest(services, env, taskDefinition) : images ? await imageManifest(services, env, images) : found!.artifact);
    const flags = Array.isArray(args.values.flag) ? (args.values.flag as string[]) : [];
    const badFlag = flags.find((f) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(f));
    if (badFlag !== undefined) throw new RewindError('REWIND_E_USAGE', `--flag takes a flag name (letters, digits, . _ -), not ${JSON.stringify(badFlag)}`, { argument: '--flag' });
    const { release, created, stored, copied, ciEvidence } = await registerRelease(services, env, version, { artifact, commit: args.string('commit') ?? found?.commit ?? undefined, committedAt: args.string('commit-time'), ci: args.string('ci') });
    // The feature flags this release turns on: a rollback turns them off in the environment's flag file.
    if (flags.length) await declareReleaseFlags(services, env, release.version, flags);
    if (args.flag('json')) writeLine(io.stdout, toJson({ created, release, stored, copied, ...(ciEvidence ? { ciEvidence } : {}) }));
    else if (created) writeLine(io.stdout, `registered ${env} ${release.version} (#${release.seq}) ${release.digest}${ciEvidence ? `; CI ${ciEvidence.verdict} (${ciEvidence.repository}: ${ciEvidence.summary})` : ''}`);
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
    else for (const r of releases) writeLine(io.stdout, `#${String(r.seq).padEnd(4)} ${r.version.padEnd(14)} ${r.state.padEnd(12)} CI ${r.ci.padEnd(8)} ${r.commit?.slice(0, 12) ?? '—'.padEnd(12)} ${r.digest.slice(0, 19)}${r.drill ? '  (drill)' : ''}`);
    return 0;
  } finally {
    await context.close();
  }
}

/** `--image backend=repo:tag` pairs, or null when none was given. */
function parseImages(pairs: string[]): Record<string, string> | null {
  if (pairs.length === 0) return null;
  const images: Record<string, string> = Object.create(null);
  for (const pair of pairs) {
    const match = /^([a-z0-9][a-z0-9_-]*(?:\/[a-z0-9][a-z0-9_-]*)?)=(.+)$/.exec(pair); // kubernetes: deployment/container
    if (!match) throw new RewindError('REWIND_E_USAGE', `--image takes <service>=<image>, not ${JSON.stringify(pair)}`, { argument: '--image' });
    if (match[1]! in images) throw new RewindError('REWIND_E_USAGE', `--image names service ${match[1]} twice`, { argument: '--image' });
    images[match[1]!] = match[2]!;
  }
  return images;
}

/** The manifest directory the environment's image target writes for these images (resolving tags once). */
async function imageManifest(services: Services, env: string, images: Record<string, string>): Promise<string> {
  const target = services.createTarget(env, environmentConfig(services.config, env));
  try {
    if (!target.artifactFromImages) throw new RewindError('REWIND_E_USAGE', `--image is for image targets (type compose, kubernetes); ${env} has a ${target.type} target: pass --artifact`, { argument: '--image', env });
    return await target.artifactFromImages({ ...images });
  } finally {
    await target.close();
  }
}

/** The manifest directory an ecs target writes for a task definition revision (its ARN and images). */
async function taskDefinitionManifest(services: Services, env: string, reference: string): Promise<string> {
  const target = services.createTarget(env, environmentConfig(services.config, env));
  try {
    if (!target.artifactFromTaskDefinition) throw new RewindError('REWIND_E_USAGE', `--task-definition is for ecs targets; ${env} has a ${target.type} target`, { argument: '--task-definition', env });
    return await target.artifactFromTaskDefinition(reference);
  } finally {
    await target.close();
  }
}

/**
 * The manifest directory a vercel or railway target writes for the release's existing deployment. Any other
 * target needs one of --artifact, --image, --task-definition: the usage error it always had.
 */
async function deploymentManifest(services: Services, env: string, query: { version: string; deployment?: string; commit?: string }): Promise<{ artifact: string; commit: string | null }> {
  const target = services.createTarget(env, environmentConfig(services.config, env));
  try {
    if (!target.artifactFromDeployment) {
      if (query.deployment !== undefined) throw new RewindError('REWIND_E_USAGE', `--deployment is for vercel and railway targets; ${env} has a ${target.type} target`, { argument: '--deployment', env });
      throw new RewindError('REWIND_E_USAGE', `release register needs --artifact <dir|.tgz> (or --image <service>=<image> for a compose target)`, { argument: '--artifact' });
    }
    return await target.artifactFromDeployment({ version: query.version, ...(query.deployment !== undefined ? { deployment: query.deployment } : {}), ...(query.commit !== undefined ? { commit: query.commit } : {}) });
  } finally {
    await target.close();
  }
}

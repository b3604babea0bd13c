import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { inspectArtifact } from '../../../artifacts/artifact-digest.js';
import { isRewindError, RewindError } from '../../../errors/rewind-error.js';
import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { failed, succeeded, type Outcome } from '../../../ports/outcome.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type ServedProcess, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { dockerCommand, healthcheckCommand, servicesCommand, stopCommand, upCommand, versionProbes, type ComposeFlavour, type ComposeInvocation } from './compose-commands.js';
import { COMPOSE_TARGET_TYPE, type ComposeTargetConfig } from './compose-config.js';
import { ComposeState, MANIFEST_FILE, type ImageManifest, type Pins } from './compose-state.js';
import { CliReads, EngineApiReads, tail, type ContainerReads, type InspectedContainer } from './container-reads.js';
import { dockerSocketPath } from './engine-socket.js';
import { parseImageReference } from './image-reference.js';
import { resolveImages } from './resolve-images.js';
import { freeSpaceAt } from '../free-space.js';

/** The compose config after resolvePaths: files and stateDir absolute. */
export type ResolvedComposeConfig = ComposeTargetConfig & { stateDir: string };

const POLL_MS = 250;
/**
 * Between rewind's own runs of a starting container's healthcheck: each round already inspects the
 * containers and runs the test in them (the exec alone is 30 to 50 ms), and a rollback waits on this
 * loop once the app is up.
 */
const EXEC_POLL_MS = 50;

/**
 * A Docker Compose stack (v2 plugin or v1 docker-compose). A release is a manifest of images, one
 * per service it changes, each pinned by digest (images.json, registered as the release's artifact).
 * Prepare pulls them; activate pins them (rewind's override file, or the variables the compose file
 * reads), runs `up -d --no-deps` on exactly those services and waits for their containers' own
 * healthchecks. What runs is read back from Docker (`docker inspect` of the project's containers).
 * No release files live on this machine, so there is no releaseDir (migrations: docs/targets.md).
 */
export class ComposeTarget implements Target {
  readonly type = COMPOSE_TARGET_TYPE;
  readonly capabilities: TargetCapabilities;
  private readonly state: ComposeState;
  private flavour: ComposeFlavour | null;
  /** Manifests describePrepare read, so describeActivate of a release not yet prepared can list its services. */
  private readonly described = new Map<string, Record<string, string>>();
  /** Container state, image checks and healthcheck runs: the Engine API on a local socket, else the docker CLI. */
  private readonly reads: ContainerReads;

  constructor(
    private readonly config: ResolvedComposeConfig,
    private readonly executor: Executor,
    capabilities: TargetCapabilities = DEFAULT_TARGET_CAPABILITIES,
    /** Where `auto` looks for Compose (PATH, HOME, DOCKER_CONFIG). */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.capabilities = capabilities;
    this.state = new ComposeState(config.stateDir);
    this.flavour = config.command === 'auto' ? null : config.command;
    const cli = new CliReads({ docker: (args, timeoutMs) => this.docker(args, timeoutMs), quiet: (c) => this.runQuiet(c), checked: (c) => this.run(c) });
    const socket = config.engineApi ? dockerSocketPath(config.dockerHost, env) : null;
    this.reads = socket ? new EngineApiReads(socket, cli) : cli;
  }

  /** DOCKER_HOST when configured: every docker and compose call gets it. */
  private get dockerEnv(): Record<string, string> {
    return this.config.dockerHost ? { DOCKER_HOST: this.config.dockerHost } : {};
  }

  private invocation(pins: Pins, flavour: ComposeFlavour): ComposeInvocation {
    const env: Record<string, string> = { ...this.dockerEnv };
    for (const [service, variable] of Object.entries(this.config.imageVariables ?? {})) {
      const pin = pins.services[service];
      if (pin) env[variable] = pin.image;
    }
    return {
      docker: this.config.docker,
      flavour,
      project: this.config.project,
      files: this.config.files,
      override: Object.keys(pins.services).length || existsSync(this.state.overrideFile) ? this.state.overrideFile : null,
      env,
      timeoutMs: this.config.commandTimeoutMs,
    };
  }

  private docker(args: readonly string[], timeoutMs = this.config.commandTimeoutMs): CommandSpec {
    return dockerCommand(this.config.docker, this.dockerEnv, timeoutMs, args);
  }

  /**
   * The Compose flavour to run: configured, or detected once per process. A v2 plugin in Docker's
   * plugin folders is confirmed with `docker compose version`; without one, a `docker-compose` on
   * PATH is v1, taken without asking it (its Python start-up costs a second or more on every rewind
   * command); otherwise `docker compose version`, then `docker-compose version`.
   */
  private async detect(): Promise<ComposeFlavour> {
    if (this.flavour) return this.flavour;
    const found = findFlavour(this.env);
    if (found === 'docker-compose') return (this.flavour = found);
    const tried: string[] = [];
    for (const probe of versionProbes(this.config.docker, this.dockerEnv)) {
      const result = await this.runQuiet(probe.command);
      if (result.exitCode === 0) return (this.flavour = probe.flavour);
      tried.push(`${probe.command.argv.join(' ')}: ${firstLine(result.stderr) || `exit ${result.exitCode}`}`);
    }
    throw new RewindError('REWIND_E_COMPOSE_UNAVAILABLE', `neither Docker Compose v2 nor v1 answers (${tried.join('; ')})`, { tried });
  }

  /** Runs a command; a program that cannot be started is a result, not a throw. */
  private async runQuiet(command: CommandSpec): Promise<CommandResult> {
    try {
      return await this.executor.run(command);
    } catch (error) {
      return { exitCode: null, signal: null, stdout: '', stderr: (error as Error).message, durationMs: 0, timedOut: false };
    }
  }

  private async run(command: CommandSpec, code: 'REWIND_E_COMPOSE_FAILED' | 'REWIND_E_IMAGE_PULL_FAILED' = 'REWIND_E_COMPOSE_FAILED'): Promise<CommandResult> {
    const result = await this.runQuiet(command);
    if (result.exitCode !== 0) {
      throw new RewindError(code, `${command.argv.join(' ')} failed${result.timedOut ? ' (timed out)' : ''}: ${tail(result.stderr || result.stdout)}`, { argv: [...command.argv], exitCode: result.exitCode });
    }
    return result;
  }

  /**
   * For plans, which are made synchronously before anything runs: the configured or detected flavour,
   * else a guess from the files on disk (a plugin in Docker's plugin folders, or docker-compose on
   * PATH), said to be one; activate asks `docker compose version` / `docker-compose version` itself.
   */
  private describedFlavour(): { flavour: ComposeFlavour; note: string[] } {
    if (this.flavour) return { flavour: this.flavour, note: [] };
    const flavour = findFlavour(this.env) ?? 'docker-compose-plugin';
    return { flavour, note: [`command auto: ${flavour === 'docker-compose' ? '`docker-compose` (v1) is on PATH and no v2 plugin is in Docker\'s plugin folders' : '`docker compose` (v2) unless `docker compose version` fails, then `docker-compose` (v1)'}`] };
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    const from = release.stored && existsSync(release.stored) ? release.stored : release.artifact;
    let images: Record<string, string> | null = null;
    try {
      images = (JSON.parse(readFileSync(join(from, MANIFEST_FILE), 'utf8')) as ImageManifest).images;
      this.described.set(release.version, images);
    } catch {
      // Shown as such below; prepare reports it with its code.
    }
    const refs = images ? Object.values(images) : [];
    return {
      summary: `pull the images of ${release.version} (${images ? Object.entries(images).map(([s, r]) => `${s}=${r}`).join(', ') : `from ${from}/${MANIFEST_FILE}`})`,
      commands: refs.map((ref) => this.docker(['pull', ref])),
      effects: [
        `verify sha256 of ${from} equals ${release.digest}`,
        `check every service of ${MANIFEST_FILE} is defined in ${this.config.files.join(', ')} (compose config --services)`,
        `skip an image Docker already has (${this.reads.via === 'engine-api' ? "Engine API GET /images/<ref>/json" : 'docker image inspect'}); pull the others by digest`,
        `record ${this.state.recordFile(release.version)}`,
      ],
    };
  }

  describeActivate(version: string): ActionDescription {
    const images = this.state.recordSync(version)?.images ?? this.described.get(version) ?? null;
    const services = images ? Object.keys(images).sort() : [`<the services of ${version}>`];
    const { flavour, note } = this.describedFlavour();
    const pins = this.nextPins(this.state.pins(), version, images ?? {});
    const at = this.invocation(pins, flavour);
    return {
      summary: `activate ${version}: pin ${images ? Object.entries(images).map(([s, r]) => `${s}=${r}`).join(', ') : `the images of ${version}`} and \`up -d\` ${services.join(', ')} in compose project ${this.config.project}`,
      commands: [upCommand({ ...at, override: this.state.overrideFile }, services)],
      effects: [
        `write ${this.state.overrideFile} (image and label rewind.version=${version} per service${this.config.imageVariables ? `; ${Object.values(this.config.imageVariables).join(', ')} set in the environment of every compose call` : ''}), then ${this.state.pinsFile}`,
        `wait up to ${this.config.healthTimeoutMs} ms for the containers of ${services.join(', ')} to be healthy (.State.Health from ${this.reads.via === 'engine-api' ? "Docker's Engine API" : 'docker inspect'}; running, for services without a healthcheck${this.config.execHealthcheck ? `; while Docker says starting, their own HEALTHCHECK test is run at once in the container (${this.reads.via === 'engine-api' ? 'an Engine API exec' : 'docker exec <container> <test>'}), and a pass counts` : ''})`,
        'on failure, put the previous pins back (the containers are left for the rollback to replace)',
        ...note,
      ],
    };
  }

  private nextPins(pins: Pins, version: string, images: Record<string, string>): Pins {
    const services = { ...pins.services };
    for (const [service, image] of Object.entries(images)) {
      // A service whose digest did not change keeps the pin of the release that set it: its label,
      // and so its container, stay as they are.
      services[service] = services[service]?.image === image ? services[service]! : { image, version };
    }
    return { active: version, services };
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    try {
      return await this.prepareOrThrow(release);
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  private async prepareOrThrow(release: ReleaseArtifact): Promise<Outcome> {
    const existing = await this.state.record(release.version);
    if (existing && existing.digest !== release.digest) {
      return failed(`${release.version} was prepared from digest ${existing.digest}, not the registered ${release.digest}`, { record: this.state.recordFile(release.version) }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
    }
    let images: Record<string, string>;
    if (existing) images = existing.images;
    else {
      const sources = [release.stored, release.artifact].filter((p): p is string => !!p && existsSync(p));
      if (sources.length === 0) {
        return failed(`the image manifest of ${release.version} is gone (${[release.stored, release.artifact].filter(Boolean).join(', ')})`, { artifact: release.artifact, stored: release.stored ?? null }, 'REWIND_E_ARTIFACT_NOT_FOUND');
      }
      const source = sources[0]!;
      const inspection = await inspectArtifact(source);
      if (inspection.digest !== release.digest) {
        return failed(`${source} has digest ${inspection.digest}, but ${release.version} was registered with ${release.digest}`, { artifact: source, expected: release.digest, actual: inspection.digest }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
      }
      images = readManifest(join(source, MANIFEST_FILE));
    }
    // A release prepared before had its services checked then (a rollback's prepare skips the compose call).
    if (!existing) await this.checkServices(Object.keys(images));
    const pulled: string[] = [];
    for (const image of Object.values(images)) {
      if (await this.reads.imageExists(image)) continue;
      await this.run(this.docker(['pull', image]), 'REWIND_E_IMAGE_PULL_FAILED');
      pulled.push(image);
    }
    if (!existing) await this.state.writeRecord({ version: release.version, digest: release.digest, images });
    return succeeded(`${release.version}: ${pulled.length ? `pulled ${pulled.length} of ${Object.keys(images).length} image(s)` : 'every image already present'}`, { images, pulled, reused: existing !== null });
  }

  /** Compose files exist, and every service named is one of theirs. */
  async checkServices(services: readonly string[]): Promise<void> {
    const missing = this.config.files.filter((file) => !existsSync(file));
    if (missing.length) throw new RewindError('REWIND_E_COMPOSE_FILE_MISSING', `compose file ${missing.join(', ')} does not exist`, { files: missing });
    const result = await this.run(servicesCommand(this.invocation(this.state.pins(), await this.detect())));
    const defined = new Set(result.stdout.split('\n').map((s) => s.trim()).filter(Boolean));
    const unknown = services.filter((s) => !defined.has(s));
    if (unknown.length) {
      throw new RewindError('REWIND_E_COMPOSE_SERVICE_UNKNOWN', `service ${unknown.join(', ')} is not defined in ${this.config.files.join(', ')} (services: ${[...defined].join(', ')})`, { unknown, defined: [...defined] });
    }
  }

  async activate(version: string): Promise<Outcome> {
    const record = await this.state.record(version);
    if (!record) return failed(`${version} is not prepared (no ${this.state.recordFile(version)})`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    const before = this.state.pins();
    const next = this.nextPins(before, version, record.images);
    const services = Object.keys(record.images).sort();
    const variables = this.config.imageVariables ?? {};
    try {
      const flavour = await this.detect();
      await this.state.writePins(next, variables);
      const started = performance.now();
      await this.run(upCommand(this.invocation(next, flavour), services));
      const health = await this.waitHealthy(services, record.images);
      return succeeded(`${version} runs: ${services.join(', ')} ${health}`, { services, images: record.images, upMs: Math.round(performance.now() - started) });
    } catch (error) {
      // The pins go back to what ran before: they must never name a release that did not come up,
      // or pins, containers and ledger disagree once the failure is handled (the rollback re-pins).
      await this.state.writePins(before, variables);
      if (isRewindError(error)) return failed(`${error.message}; pins restored to ${before.active ?? 'nothing'}`, { ...error.details, restoredPins: before.active }, error.code);
      throw error;
    }
  }

  /**
   * Until every container of `services` runs `images` and is healthy (or running, without a
   * healthcheck). A container Docker still calls `starting` has its own healthcheck test run at once
   * by `docker exec` (execHealthcheck): Docker runs the first one only an interval after the start
   * (30 s by default), which would be the slowest part of every rollback. A pass is what Docker's
   * next probe would conclude (one pass makes a container healthy); a failure is left to Docker's
   * retries, so `unhealthy` still comes only from Docker.
   */
  private async waitHealthy(services: readonly string[], images: Record<string, string>): Promise<string> {
    const deadline = Date.now() + this.config.healthTimeoutMs;
    let last = '';
    const passedByExec = new Set<string>();
    // `up -d` has returned: the containers exist. Listed once, then only inspected each round.
    let ids = await this.reads.containerIds(this.config.project, { all: true });
    for (;;) {
      let containers = await this.reads.inspect(ids);
      if (containers.length < ids.length) containers = await this.reads.inspect((ids = await this.reads.containerIds(this.config.project, { all: true })));
      const pending: string[] = [];
      const starting: InspectedContainer[] = [];
      let checked = 0;
      for (const service of services) {
        const mine = containers.filter((c) => c.Config.Labels?.['com.docker.compose.service'] === service && c.Config.Image === images[service]);
        if (mine.length === 0) pending.push(`${service}: no container runs ${images[service]}`);
        for (const c of mine) {
          const health = c.State.Health?.Status;
          if (health) checked++;
          // Not running first: Docker also calls a stopped container unhealthy, which would hide why it stopped.
          if (!c.State.Running) {
            const why = [c.State.ExitCode !== undefined ? `exit code ${c.State.ExitCode}` : '', c.State.Error ?? ''].filter(Boolean).join(': ');
            throw new RewindError('REWIND_E_COMPOSE_UNHEALTHY', `container ${c.Name.replace(/^\//, '')} of ${service} is ${c.State.Status}${why ? ` (${why})` : ''}, not running (\`docker logs ${c.Id.slice(0, 12)}\` says why)`, { service, container: c.Id.slice(0, 12), exitCode: c.State.ExitCode ?? null });
          }
          if (health === 'unhealthy') throw new RewindError('REWIND_E_COMPOSE_UNHEALTHY', `container ${c.Name.replace(/^\//, '')} of ${service} is unhealthy (its own healthcheck)`, { service, container: c.Id.slice(0, 12) });
          if (health === 'starting' && passedByExec.has(c.Id)) continue;
          if (health && health !== 'healthy') {
            pending.push(`${service}: ${health}`);
            if (health === 'starting') starting.push(c);
          }
        }
      }
      // Only when Docker's status is all that is left to wait for.
      const probing = this.config.execHealthcheck && starting.length > 0 && starting.length === pending.length;
      if (probing) {
        const results = await Promise.all(starting.map(async (c) => ({ c, passed: await this.execHealthcheck(c, deadline) })));
        for (const { c, passed } of results) if (passed) passedByExec.add(c.Id);
        if (results.every((r) => r.passed)) pending.length = 0;
      }
      if (pending.length === 0) {
        if (!checked) return '(running; no healthcheck defined)';
        const byExec = passedByExec.size ? `, ${passedByExec.size} passed when rewind ran it in the container while Docker still said starting` : '';
        return `(healthy: ${checked} container healthcheck(s)${byExec})`;
      }
      last = pending.join(', ');
      if (Date.now() >= deadline) throw new RewindError('REWIND_E_COMPOSE_UNHEALTHY', `not healthy after ${this.config.healthTimeoutMs} ms (healthTimeoutMs): ${last}`, { pending });
      await new Promise((r) => setTimeout(r, probing ? EXEC_POLL_MS : POLL_MS));
    }
  }

  /** The container's own healthcheck test, run now: true when it exits 0 within its timeout. */
  private async execHealthcheck(container: InspectedContainer, deadline: number): Promise<boolean> {
    const command = healthcheckCommand(container.Config.Healthcheck?.Test, container.Config.Shell);
    if (!command) return false;
    // Docker's Timeout is in nanoseconds (0: its default, 30 s).
    const own = container.Config.Healthcheck?.Timeout ? Math.ceil(container.Config.Healthcheck.Timeout / 1e6) : 30_000;
    return this.reads.passes(container.Id, command, Math.max(1000, Math.min(own, deadline - Date.now())));
  }

  async stop(): Promise<Outcome> {
    const pins = this.state.pins();
    const services = Object.keys(pins.services).sort();
    if (services.length === 0) return succeeded('nothing to stop: no service was ever activated');
    try {
      await this.run(stopCommand(this.invocation(pins, await this.detect()), services));
      return succeeded(`stopped ${services.join(', ')}`, { services });
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
  }

  async activeVersion(): Promise<string | null> {
    return this.state.pins().active;
  }

  /**
   * One entry per running container of a service rewind manages: the active release when it runs
   * the pinned digest, else the release its rewind.version label names (null: not rewind's).
   */
  async servedVersions(): Promise<ServedProcess[] | null> {
    const pins = this.state.pins();
    const containers = await this.reads.inspect(await this.reads.containerIds(this.config.project));
    return containers
      .filter((c) => c.State.Running && pins.services[c.Config.Labels?.['com.docker.compose.service'] ?? ''])
      .map((c) => {
        const service = c.Config.Labels!['com.docker.compose.service']!;
        const version = pins.services[service]!.image === c.Config.Image ? pins.active : (c.Config.Labels?.['rewind.version'] ?? null);
        return { version, where: `container ${c.Name.replace(/^\//, '')} (${service}, ${c.Config.Image})` };
      });
  }

  /** Records `version` as active (its pins) without running anything: `rewind repair` when its containers already run. */
  async markActive(version: string): Promise<void> {
    const record = await this.state.record(version);
    if (!record) throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `${version} is not prepared (no ${this.state.recordFile(version)})`, { version });
    await this.state.writePins(this.nextPins(this.state.pins(), version, record.images), this.config.imageVariables ?? {});
  }

  installedVersions(): Promise<string[]> {
    return this.state.versions();
  }

  /** Forgets a prepared release and removes its images that no other prepared release or pin uses. */
  async remove(version: string): Promise<void> {
    const pins = this.state.pins();
    if (pins.active === version) throw new Error(`refusing to remove the active release ${version}`);
    const record = await this.state.record(version);
    if (!record) return;
    await this.state.removeRecord(version);
    const used = new Set([...Object.values(pins.services).map((p) => p.image), ...(await this.state.records()).flatMap((r) => Object.values(r.images))]);
    for (const image of Object.values(record.images)) {
      // An image a stopped container still uses is refused by Docker: kept, and tried again next time.
      if (!used.has(image)) await this.runQuiet(this.docker(['image', 'rm', image], 60_000));
    }
  }

  /** Docker's data root when this machine can see it (a local engine), else the state directory's file system. */
  async freeSpace(): Promise<FreeSpace> {
    const root = await this.reads.dockerRootDir();
    return freeSpaceAt(root && existsSync(root) ? root : this.config.stateDir);
  }

  /** `release register --image service=reference`: resolves tags to digests once and writes the manifest directory. */
  async artifactFromImages(images: Record<string, string>): Promise<string> {
    await this.checkServices(Object.keys(images));
    return resolveImages(images, {
      requireDigests: this.config.requireDigests,
      run: (args) => this.runQuiet(this.docker(args)),
      stateDir: this.config.stateDir,
    });
  }

  async close(): Promise<void> {
    // The Engine API's kept-alive socket; docker and compose calls are their own processes.
    this.reads.close();
  }
}

function readManifest(path: string): Record<string, string> {
  let manifest: ImageManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as ImageManifest;
  } catch (error) {
    throw new RewindError('REWIND_E_ARTIFACT_NOT_FOUND', `cannot read the image manifest ${path}: ${(error as Error).message}`, { path });
  }
  for (const [service, image] of Object.entries(manifest.images ?? {})) {
    if (!parseImageReference(image)?.digest) throw new RewindError('REWIND_E_IMAGE_DIGEST_REQUIRED', `${path}: ${service}=${image} is not pinned by digest`, { service, image });
  }
  return manifest.images;
}

/** Docker's CLI plugin folders (the v2 plugin is `docker-compose` in one of them). */
const PLUGIN_DIRS = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];

/** What the files on disk say: a v2 plugin in Docker's plugin folders, else v1 on PATH, else null (ask). */
function findFlavour(env: NodeJS.ProcessEnv): ComposeFlavour | null {
  const home = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : null);
  const plugins = [...(home ? [join(home, 'cli-plugins')] : []), ...PLUGIN_DIRS];
  if (plugins.some((dir) => existsSync(join(dir, 'docker-compose')))) return 'docker-compose-plugin';
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).some((dir) => existsSync(join(dir, 'docker-compose')));
  return onPath ? 'docker-compose' : null;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}


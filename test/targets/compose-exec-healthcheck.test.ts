import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeTargetSchema } from '../../src/adapters/targets/compose/compose-config.js';
import { composeTargetDefinition } from '../../src/adapters/targets/compose/compose-definition.js';
import { loadAdapters } from '../../src/adapters/registry.js';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { CliReads, EngineApiReads } from '../../src/adapters/targets/compose/container-reads.js';
import { dockerCommand } from '../../src/adapters/targets/compose/compose-commands.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { CommandResult, CommandSpec, Executor } from '../../src/ports/executor.js';
import type { Target } from '../../src/ports/target.js';
import { DOCKER_CLI, DockerEngine, freePort, type LocalRegistry } from '../support/docker-engine.js';

// Activate's wait for a container's own HEALTHCHECK when Docker would probe it late (an image with
// a one-hour interval: Docker says `starting` for the whole test). Real dockerd, real registry.
// With execHealthcheck (the default) rewind runs the image's test itself (an Engine API exec on the
// engine's socket, or `docker exec` with engineApi: false); without it, it waits for Docker; and a
// test that fails when rewind runs it proves nothing.

/** The real executor, recording every argv it runs. */
class RecordingExecutor implements Executor {
  readonly ran: string[][] = [];
  private readonly real = new ProcessExecutor();
  run(command: CommandSpec): Promise<CommandResult> {
    this.ran.push([...command.argv]);
    return this.real.run(command);
  }
}

describe('compose activate: the container\'s own healthcheck, run by rewind while Docker says starting', () => {
  let engine: DockerEngine;
  let registry: LocalRegistry;
  let root: string;
  const targets: Target[] = [];
  const built = new Map<string, Promise<string>>();

  beforeAll(async () => {
    engine = await DockerEngine.start();
    registry = await engine.registry();
    root = await mkdtemp(join(tmpdir(), 'ceh-'));
  }, 120_000);
  afterAll(async () => {
    for (const target of targets) await target.close();
    await engine?.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** A compose project of one service on its own port, its target built as the CLI builds it. */
  async function stack(name: string, settings: { execHealthcheck?: boolean; engineApi?: boolean; healthTimeoutMs: number }) {
    const dir = join(root, name);
    const port = await freePort();
    await mkdir(dir);
    await writeFile(join(dir, 'docker-compose.yml'), `version: "3.8"\nservices:\n  web:\n    image: ${registry.address}/slow:unset\n    network_mode: host\n    environment:\n      PORT: "${port}"\n`);
    const config = composeTargetSchema.parse({ type: 'compose', project: name, files: ['docker-compose.yml'], docker: DOCKER_CLI, dockerHost: engine.host, ...settings });
    composeTargetDefinition.resolvePaths!(config, { env: 'production', baseDir: dir, abs: (p) => (isAbsolute(p) ? p : resolve(dir, p)) });
    const executor = new RecordingExecutor();
    const target = (await loadAdapters(['target', 'runtime'])).createTarget({ target: config }, executor);
    targets.push(target);
    const deploy = async (version: string, options: { healthy?: boolean } = {}) => {
      // One image per version, shared by the stacks (a build and push is most of this file's time).
      const tag = await (built.get(version) ?? built.set(version, engine.buildApp(registry, 'slow', version, { healthcheckInterval: '1h', ...options }).then((b) => b.tag)).get(version)!);
      const artifact = await target.artifactFromImages!({ web: tag });
      executor.ran.length = 0; // from here: prepare and activate
      const prepared = await target.prepare({ version, artifact, digest: (await inspectArtifact(artifact)).digest });
      expect(prepared.status, prepared.message).toBe('succeeded');
      const started = Date.now();
      const outcome = await target.activate(version);
      return { outcome, ms: Date.now() - started };
    };
    const health = (): string[] => engine.containers(name, 'web').map((c) => c.State.Health?.Status ?? 'none');
    /** The docker subcommands prepare and activate ran (compose calls are not docker argvs here: v1). */
    const dockerCalls = () => executor.ran.filter((argv) => argv[0] === DOCKER_CLI).map((argv) => argv[1]!);
    return { deploy, health, port, dockerCalls };
  }

  it.each([
    { via: 'the Engine API (the default)', engineApi: true },
    { via: 'the docker CLI (engineApi: false)', engineApi: false },
  ])('passes as soon as the test passes in the container, while Docker has not probed it yet: $via', async ({ engineApi }) => {
    const s = await stack(`exec-on-${engineApi}`, { healthTimeoutMs: 60_000, engineApi });
    const { outcome, ms } = await s.deploy('1.0.0');
    expect(outcome.status, outcome.message).toBe('succeeded');
    expect(outcome.message).toContain('1 passed when rewind ran it in the container while Docker still said starting');
    // Docker's own first probe is an hour away: the status is still `starting`, so the pass was rewind's.
    expect(s.health()).toEqual(['starting']);
    expect(ms).toBeLessThan(30_000);
    expect(await fetch(`http://127.0.0.1:${s.port}/version`).then((r) => r.text())).toBe('1.0.0\n');
    // Through the socket, no docker process asks anything; through the CLI, each question is one.
    if (engineApi) expect(s.dockerCalls().filter((c) => ['ps', 'inspect', 'exec', 'image'].includes(c))).toEqual([]);
    else expect(s.dockerCalls()).toEqual(expect.arrayContaining(['image', 'ps', 'inspect', 'exec']));
  }, 120_000);

  it('execHealthcheck: false waits for Docker, and times out while Docker says starting', async () => {
    const s = await stack('exec-off', { execHealthcheck: false, healthTimeoutMs: 3000 });
    const { outcome } = await s.deploy('1.0.0');
    expect(outcome.status).toBe('failed');
    expect(outcome.code).toBe('REWIND_E_COMPOSE_UNHEALTHY');
    expect(outcome.message).toMatch(/^not healthy after 3000 ms \(healthTimeoutMs\): web: starting; pins restored to nothing$/);
    expect(s.health()).toEqual(['starting']);
  }, 120_000);

  it('a test that fails when rewind runs it is not a verdict: the wait goes on until Docker decides, or the timeout', async () => {
    const s = await stack('exec-fails', { healthTimeoutMs: 3000 });
    const { outcome, ms } = await s.deploy('2.0.0', { healthy: false });
    expect(outcome.status).toBe('failed');
    expect(outcome.code).toBe('REWIND_E_COMPOSE_UNHEALTHY');
    expect(outcome.message).toMatch(/^not healthy after 3000 ms \(healthTimeoutMs\): web: starting; pins restored to nothing$/);
    expect(ms).toBeGreaterThanOrEqual(3000);
  }, 120_000);

  it('a container that exits (its port is taken) is reported as exited with its exit code, not as unhealthy', async () => {
    const s = await stack('port-taken', { healthTimeoutMs: 20_000 });
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(s.port, '127.0.0.1', resolve));
    try {
      const { outcome } = await s.deploy('1.0.0');
      expect(outcome.status).toBe('failed');
      expect(outcome.code).toBe('REWIND_E_COMPOSE_UNHEALTHY');
      expect(outcome.message).toMatch(/^container \S+ of web is exited \(exit code \d+\), not running \(`docker logs [0-9a-f]{12}` says why\); pins restored to nothing$/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 120_000);

  it('the Engine API reads answer as the CLI does, and a socket that cannot be opened hands over to the CLI', async () => {
    const s = await stack('reads', { healthTimeoutMs: 60_000 });
    expect((await s.deploy('1.0.0')).outcome.status).toBe('succeeded');
    const executor = new ProcessExecutor();
    const cli = new CliReads({
      docker: (args, timeoutMs = 60_000) => dockerCommand(DOCKER_CLI, { DOCKER_HOST: engine.host }, timeoutMs, args),
      quiet: (c) => executor.run(c),
      checked: async (c) => {
        const r = await executor.run(c);
        if (r.exitCode !== 0) throw new Error(r.stderr);
        return r;
      },
    });
    const api = new EngineApiReads(engine.host.slice('unix://'.length), cli);
    const gone = new EngineApiReads(join(root, 'no-such.sock'), cli);
    try {
      const ids = await api.containerIds('reads', { all: true });
      expect(ids).toHaveLength(1);
      expect(ids).toEqual(await cli.containerIds('reads', { all: true }));
      const [viaApi] = await api.inspect([...ids, 'f'.repeat(64)]); // a container that is gone is left out
      const [viaCli] = await cli.inspect(ids);
      expect(viaApi!.Id).toBe(viaCli!.Id);
      expect(viaApi!.Config.Image).toBe(viaCli!.Config.Image);
      expect(viaApi!.Config.Healthcheck?.Test).toEqual(viaCli!.Config.Healthcheck?.Test);
      expect(await api.imageExists(viaApi!.Config.Image)).toBe(true);
      expect(await api.imageExists(`${registry.address}/slow@sha256:${'0'.repeat(64)}`)).toBe(false);
      // The test's verdict: exit 0, exit 1, a program the image lacks, and one slower than its timeout.
      expect(await api.passes(ids[0]!, ['/bin/busybox', 'true'], 5000)).toBe(true);
      expect(await api.passes(ids[0]!, ['/bin/busybox', 'false'], 5000)).toBe(false);
      expect(await api.passes(ids[0]!, ['/no/such/program'], 5000)).toBe(false);
      const started = Date.now();
      expect(await api.passes(ids[0]!, ['/bin/busybox', 'sleep', '30'], 1000)).toBe(false);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await api.dockerRootDir()).toBe(await cli.dockerRootDir());
      expect(api.via).toBe('engine-api');
      // A socket path that does not exist: the same answers, from the CLI, from then on.
      expect(gone.via).toBe('engine-api');
      expect(await gone.containerIds('reads', { all: true })).toEqual(ids);
      expect(gone.via).toBe('docker-cli');
    } finally {
      api.close();
      gone.close();
    }
  }, 120_000);
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeTargetSchema } from '../../src/adapters/targets/compose/compose-config.js';
import { composeTargetDefinition } from '../../src/adapters/targets/compose/compose-definition.js';
import { loadAdapters } from '../../src/adapters/registry.js';
import { inspectArtifact } from '../../src/artifacts/artifact-digest.js';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { Target } from '../../src/ports/target.js';
import { DOCKER_CLI, DockerEngine, freePort, type LocalRegistry } from '../support/docker-engine.js';

// Activate's wait for a container's own HEALTHCHECK when Docker would probe it late (an image with
// a one-hour interval: Docker says `starting` for the whole test). Real dockerd, real registry.
// With execHealthcheck (the default) rewind runs the image's test itself with docker exec; without
// it, it waits for Docker; and a test that fails when rewind runs it proves nothing.

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
  async function stack(name: string, settings: { execHealthcheck?: boolean; healthTimeoutMs: number }) {
    const dir = join(root, name);
    const port = await freePort();
    await mkdir(dir);
    await writeFile(join(dir, 'docker-compose.yml'), `version: "3.8"\nservices:\n  web:\n    image: ${registry.address}/slow:unset\n    network_mode: host\n    environment:\n      PORT: "${port}"\n`);
    const config = composeTargetSchema.parse({ type: 'compose', project: name, files: ['docker-compose.yml'], docker: DOCKER_CLI, dockerHost: engine.host, ...settings });
    composeTargetDefinition.resolvePaths!(config, { env: 'production', baseDir: dir, abs: (p) => (isAbsolute(p) ? p : resolve(dir, p)) });
    const target = (await loadAdapters(['target', 'runtime'])).createTarget({ target: config }, new ProcessExecutor());
    targets.push(target);
    const deploy = async (version: string, options: { healthy?: boolean } = {}) => {
      // One image per version, shared by the stacks (a build and push is most of this file's time).
      const tag = await (built.get(version) ?? built.set(version, engine.buildApp(registry, 'slow', version, { healthcheckInterval: '1h', ...options }).then((b) => b.tag)).get(version)!);
      const artifact = await target.artifactFromImages!({ web: tag });
      const prepared = await target.prepare({ version, artifact, digest: (await inspectArtifact(artifact)).digest });
      expect(prepared.status, prepared.message).toBe('succeeded');
      const started = Date.now();
      const outcome = await target.activate(version);
      return { outcome, ms: Date.now() - started };
    };
    const health = (): string[] => engine.containers(name, 'web').map((c) => c.State.Health?.Status ?? 'none');
    return { deploy, health, port };
  }

  it('passes as soon as the test passes in the container, while Docker has not probed it yet', async () => {
    const s = await stack('exec-on', { healthTimeoutMs: 60_000 });
    const { outcome, ms } = await s.deploy('1.0.0');
    expect(outcome.status, outcome.message).toBe('succeeded');
    expect(outcome.message).toContain('1 passed when rewind ran it with docker exec while Docker still said starting');
    // Docker's own first probe is an hour away: the status is still `starting`, so the pass was rewind's.
    expect(s.health()).toEqual(['starting']);
    expect(ms).toBeLessThan(30_000);
    expect(await fetch(`http://127.0.0.1:${s.port}/version`).then((r) => r.text())).toBe('1.0.0\n');
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
});

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { DOCKER_CLI, DockerEngine, freePort, type LocalRegistry } from './support/docker-engine.js';
import { CLI, collect, runCli, waitFor, type CliResult } from './support/sandbox.js';

const ENV = 'production';
const PROJECT = 'shop';

interface StatusJson {
  current: { version: string; state: string } | null;
  target: { link: string | null; served: { version: string | null }[] | null };
  agreement: { agree: boolean; problems: string[] };
  unfinished: unknown[];
  lock: unknown;
}

/**
 * Issue 15, Compose: the broken-deploy story through the built CLI against a real Docker engine
 * (dockerd 20.10, docker-compose 1.29, a docker-registry 2.8 on loopback), a stack of two services:
 * `web` (what the releases change) and `side` (a second service no release here touches). A
 * release whose container never becomes healthy and one that is healthy but fails smoke both roll
 * back by themselves: the old digest runs again (docker inspect), `side` is never restarted, the
 * lock is free and the journal says exactly what ran. Then a registry outage stops a deploy in
 * preflight with nothing changed, and a SIGKILL of rewind during `docker-compose up -d` is finished
 * by `rewind resume`. Bad input (unknown service, a tag where digests are required, a missing
 * compose file) is refused with its code before anything changes.
 */
describe('Compose: broken deploys roll back, registry outage, SIGKILL during up -d (real dockerd)', () => {
  let engine: DockerEngine;
  let registry: LocalRegistry;
  let root: string;
  let config: string;
  let ledger: Ledger;
  let webPort: number;
  const images: Record<string, { tag: string; pinned: string }> = {};
  let side: { Id: string; StartedAt: string };

  const cli = (args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => runCli([...args, '--config', config], 120_000, env);
  const web = () => engine.containers(PROJECT, 'web');
  const sideNow = () => {
    const [c] = engine.containers(PROJECT, 'side');
    return { Id: c!.Id, StartedAt: c!.State.StartedAt };
  };
  const answer = () => fetch(`http://127.0.0.1:${webPort}/version`).then(async (r) => (r.ok ? (await r.text()).trim() : `status ${r.status}`), () => 'down');
  const pins = () => JSON.parse(readFileSync(join(root, 'rewind-compose', ENV, 'pins.json'), 'utf8')) as { active: string; services: Record<string, { image: string }> };
  async function status(): Promise<StatusJson> {
    const result = await cli(['status', ENV, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StatusJson;
  }
  /** web runs `version` by its pinned digest, healthy; side was never restarted; ledger and status agree; lock free. */
  async function expectServing(version: string) {
    const [container, ...more] = web();
    expect(more).toEqual([]);
    expect(container!.Config.Image).toBe(images[version]!.pinned);
    // rewind may have passed the container on its own run of the healthcheck, before Docker's first
    // probe (execHealthcheck): Docker still says starting then, and healthy one interval later.
    expect(['starting', 'healthy']).toContain(container!.State.Health?.Status);
    await expect.poll(() => web()[0]!.State.Health?.Status, { timeout: 10_000, interval: 100 }).toBe('healthy');
    expect(await answer()).toBe(version);
    expect(sideNow()).toEqual(side);
    const seen = await status();
    expect(seen.agreement).toMatchObject({ agree: true, problems: [] });
    expect(seen.current?.version).toBe(version);
    expect(seen.target.link).toBe(version);
    expect(seen.lock).toBeNull();
    expect(seen.unfinished).toEqual([]);
  }
  async function stepsOf(kind: string, toVersion: string) {
    const op = (await ledger.listOperations(ENV, { limit: 20 })).find((o) => o.kind === kind && o.toVersion === toVersion)!;
    return { op, steps: (await ledger.listSteps(op.id)).map((s) => `${s.stepId}:${s.state}`) };
  }

  beforeAll(async () => {
    engine = await DockerEngine.start();
    registry = await engine.registry();
    root = await mkdtemp(join(tmpdir(), 'cb-'));
    webPort = await freePort();
    const sidePort = await freePort();
    images['1.0.0'] = await engine.buildApp(registry, 'web', '1.0.0');
    images['1.1.0'] = await engine.buildApp(registry, 'web', '1.1.0', { healthy: false });
    images['1.2.0'] = await engine.buildApp(registry, 'web', '1.2.0', { smoke: false });
    images['1.3.0'] = await engine.buildApp(registry, 'web', '1.3.0');
    images.side = await engine.buildApp(registry, 'side', '1.0.0');
    await writeFile(
      join(root, 'docker-compose.yml'),
      `version: "3.8"\nservices:\n  web:\n    image: ${registry.address}/web:latest\n    network_mode: host\n    environment:\n      PORT: "${webPort}"\n  side:\n    image: \${SIDE_IMAGE:-${registry.address}/side:latest}\n    network_mode: host\n    environment:\n      PORT: "${sidePort}"\n`,
    );
    await writeFile(join(root, 'smoke.yaml'), 'name: shop\nsteps:\n  - name: smoke page\n    request: { method: GET, url: /smoke }\n    expect: { status: 200 }\n');
    const target = (extra: string) => `    target:\n      type: compose\n      project: ${PROJECT}\n      files: [docker-compose.yml]\n      imageVariables: { side: SIDE_IMAGE }\n      command: docker-compose\n      docker: ${DOCKER_CLI}\n      dockerHost: ${engine.host}\n      healthTimeoutMs: 15000\n${extra}`;
    config = join(root, 'rewind.yaml');
    await writeFile(
      config,
      `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  ${ENV}:\n${target('')}    health:\n      url: http://127.0.0.1:${webPort}/health\n      retries: 3\n      backoffMs: 100\n    smoke:\n      suite: ./smoke.yaml\n      baseUrl: http://127.0.0.1:${webPort}\n` +
        `  strict:\n${target('      requireDigests: true\n')}` +
        `  nofile:\n${target('').replace('[docker-compose.yml]', '[missing.yml]').replace(`project: ${PROJECT}`, 'project: nofile')}`,
    );
    ledger = await openLedger(join(root, 'rewind.db'));
  }, 240_000);

  afterAll(async () => {
    await ledger?.close();
    await engine?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('registers 1.0.0 (web and side, tags resolved to digests once) and deploys it', async () => {
    const registered = await cli(['release', 'register', ENV, '1.0.0', '--image', `web=${images['1.0.0']!.tag}`, '--image', `side=${images.side!.tag}`, '--ci', 'passed']);
    expect(registered.code, registered.stderr).toBe(0);
    const deployed = await cli(['deploy', ENV, '1.0.0']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    side = sideNow();
    expect(engine.containers(PROJECT, 'side')[0]!.Config.Image).toBe(images.side!.pinned);
    await expectServing('1.0.0');
    expect(pins()).toMatchObject({ active: '1.0.0', services: { web: { image: images['1.0.0']!.pinned }, side: { image: images.side!.pinned } } });
  });

  it('a release whose container never becomes healthy rolls back by itself: the old digest runs, side untouched', async () => {
    expect((await cli(['release', 'register', ENV, '1.1.0', '--image', `web=${images['1.1.0']!.tag}`, '--ci', 'passed'])).code).toBe(0);
    const result = await cli(['deploy', ENV, '1.1.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    await expectServing('1.0.0');
    expect((await ledger.getRelease(ENV, '1.1.0'))?.state).toBe('failed');
    // The journal: the container's own healthcheck failed activate; the automatic rollback re-pinned 1.0.0.
    const { op, steps } = await stepsOf('deploy', '1.1.0');
    expect(steps).toEqual(['record-running:succeeded', 'disk-space:succeeded', 'baseline-health:succeeded', 'prepare:succeeded', 'activate:failed']);
    expect(op.error).toBe('activate: container shop_web_1 of web is unhealthy (its own healthcheck); pins restored to 1.0.0');
    const rollback = (await ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(rollback).toMatchObject({ kind: 'rollback', fromVersion: '1.1.0', toVersion: '1.0.0', state: 'succeeded', parentId: op.id });
    expect((await ledger.listSteps(rollback.id)).map((s) => `${s.stepId}:${s.state}`)).toEqual([
      'rollback-start:succeeded',
      'prepare:succeeded',
      'activate:succeeded',
      'health:succeeded',
      'smoke:succeeded',
      'rollback-complete:succeeded',
    ]);
  });

  it('a release that is healthy but fails smoke rolls back by itself', async () => {
    expect((await cli(['release', 'register', ENV, '1.2.0', '--image', `web=${images['1.2.0']!.tag}`, '--ci', 'passed'])).code).toBe(0);
    const result = await cli(['deploy', ENV, '1.2.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    await expectServing('1.0.0');
    expect((await ledger.getRelease(ENV, '1.2.0'))?.state).toBe('failed');
    const { op, steps } = await stepsOf('deploy', '1.2.0');
    expect(steps).toEqual(['record-running:succeeded', 'disk-space:succeeded', 'baseline-health:succeeded', 'prepare:succeeded', 'activate:succeeded', 'health:succeeded', 'smoke:failed']);
    const rollback = (await ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(rollback).toMatchObject({ kind: 'rollback', fromVersion: '1.2.0', toVersion: '1.0.0', state: 'succeeded', parentId: op.id });
  });

  it('bad input is refused with its code before anything changes: unknown service, a tag where digests are required, a missing compose file, another digest for a version', async () => {
    const before = { releases: await ledger.listReleases(ENV, { limit: 100 }), pins: pins(), web: web()[0]!.Id };
    const errorLine = (r: CliResult) => r.stderr.split('\n').find((l) => l.startsWith('error '));
    const unknown = await cli(['release', 'register', ENV, '9.0.0', '--image', `nope=${images['1.3.0']!.tag}`]);
    expect(unknown.code).toBe(2);
    expect(errorLine(unknown)).toMatch(/^error REWIND_E_COMPOSE_SERVICE_UNKNOWN: service nope is not defined in .*docker-compose\.yml \(services: /);
    const tagOnly = await cli(['release', 'register', 'strict', '1.0.0', '--image', `web=${images['1.3.0']!.tag}`]);
    expect(tagOnly.code).toBe(2);
    expect(errorLine(tagOnly)).toBe(`error REWIND_E_IMAGE_DIGEST_REQUIRED: --image web=${images['1.3.0']!.tag} has a tag and no digest, and this target sets requireDigests: give ${registry.address}/web@sha256:<digest>`);
    // With the digest, the strict environment takes it.
    expect((await cli(['release', 'register', 'strict', '1.0.0', '--image', `web=${images['1.3.0']!.pinned}`])).code).toBe(0);
    const noFile = await cli(['release', 'register', 'nofile', '1.0.0', '--image', `web=${images['1.3.0']!.pinned}`]);
    expect(noFile.code).toBe(2);
    expect(errorLine(noFile)).toBe(`error REWIND_E_COMPOSE_FILE_MISSING: compose file ${join(root, 'missing.yml')} does not exist`);
    const conflict = await cli(['release', 'register', ENV, '1.0.0', '--image', `web=${images['1.3.0']!.pinned}`, '--image', `side=${images.side!.pinned}`]);
    expect(conflict.code).toBe(3);
    expect(errorLine(conflict)).toMatch(/^error REWIND_E_RELEASE_DIGEST_CONFLICT: production 1\.0\.0 is registered with sha256:/);
    expect(await ledger.listReleases(ENV, { limit: 100 })).toEqual(before.releases);
    expect(await ledger.listReleases('nofile', { limit: 100 })).toEqual([]);
    expect(pins()).toEqual(before.pins);
    expect(web()[0]!.Id).toBe(before.web);
    await expectServing('1.0.0');
  });

  it('a registry outage during deploy stops it in preflight (prepare cannot pull): nothing changed', async () => {
    expect((await cli(['release', 'register', ENV, '1.3.0', '--image', `web=${images['1.3.0']!.tag}`, '--ci', 'passed'])).code).toBe(0);
    // The dry-run prints every argv: the pull by digest and the `up -d` of the one service 1.3.0 changes.
    const dry = await cli(['deploy', ENV, '1.3.0', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${DOCKER_CLI} pull ${images['1.3.0']!.pinned}`);
    expect(dry.stdout).toMatch(new RegExp(`docker-compose -p ${PROJECT} -f \\S+docker-compose\\.yml -f \\S+rewind\\.override\\.yml up -d --no-deps web\\b`));
    // As on a host other than the CI machine that registered it: the image is not here yet.
    const id = engine.docker(['image', 'inspect', '--format', '{{.Id}}', images['1.3.0']!.tag]).stdout.trim();
    engine.docker(['image', 'rm', '-f', id]);
    await registry.stop();
    const before = { pins: pins(), web: web()[0]!.Id, operations: (await ledger.listOperations(ENV, { limit: 100 })).length };
    const result = await cli(['deploy', ENV, '1.3.0', '--json']);
    expect(result.code, result.stderr).toBe(6);
    expect(result.stderr).toMatch(/REWIND_E_PREFLIGHT_FAILED/);
    const { op, steps } = await stepsOf('deploy', '1.3.0');
    expect(steps).toEqual(['record-running:succeeded', 'disk-space:succeeded', 'baseline-health:succeeded', 'prepare:failed']);
    expect(op.error).toMatch(new RegExp(`^prepare: ${DOCKER_CLI.replace(/\//g, '\\/')} pull ${registry.address}/web@sha256:[0-9a-f]{64} failed: `));
    expect((await ledger.listOperations(ENV, { limit: 100 })).length).toBe(before.operations + 1);
    expect(pins()).toEqual(before.pins);
    expect(web()[0]!.Id).toBe(before.web);
    expect(readdirSync(join(root, 'rewind-compose', ENV, 'releases')).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect((await ledger.getRelease(ENV, '1.3.0'))?.state).not.toBe('good');
    await expectServing('1.0.0');
    registry = await engine.restartRegistry(registry);
  });

  it('SIGKILL of rewind during `docker-compose up -d`, then `rewind resume`: stack and ledger agree on 1.3.0', async () => {
    const child = spawn(process.execPath, [CLI, 'deploy', ENV, '1.3.0', '--json', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = collect(child, 120_000);
    // The `up -d` rewind started for this deploy, seen in /proc as it runs.
    await waitFor(async () => upRunning(), 60_000, 5);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect((await status()).unfinished).toHaveLength(1);
    const resumed = await cli(['resume', ENV, '--json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    await expectServing('1.3.0');
    expect(pins()).toMatchObject({ active: '1.3.0', services: { web: { image: images['1.3.0']!.pinned }, side: { image: images.side!.pinned } } });
    expect((await ledger.getEnvironment(ENV))?.currentVersion).toBe('1.3.0');
  });
});

/** Whether a `docker-compose -p shop ... up -d` runs now. */
function upRunning(): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.some((a) => a.endsWith('docker-compose')) && argv.includes(PROJECT) && argv.includes('up')) return true;
  }
  return false;
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandResult, CommandSpec, Executor } from '../../../ports/executor.js';
import { composeCommand, healthcheckExecArgs, upCommand, type ComposeInvocation } from './compose-commands.js';
import { composeTargetSchema } from './compose-config.js';
import { overrideYaml } from './compose-state.js';
import { ComposeTarget } from './compose-target.js';
import { parseImageReference } from './image-reference.js';

// The argv shapes of both Compose flavours, and `auto` detection. Only Compose v1 is installed on
// the machines the suite runs on (no v2 plugin): the v2 shape is asserted here, and the real-engine
// tests (test/targets/compose-target.test.ts, test/compose-broken-deploy.test.ts) exercise v1.

const at: ComposeInvocation = { docker: '/usr/bin/docker', flavour: 'docker-compose', project: 'shop', files: ['/srv/a.yml', '/srv/b.yml'], override: '/state/rewind.override.yml', env: { DOCKER_HOST: 'unix:///d.sock' }, timeoutMs: 1000 };

describe('compose argv', () => {
  it('v1 is its own program; v2 is the docker CLI plugin; files in order, the override last', () => {
    expect(upCommand(at, ['web']).argv).toEqual(['docker-compose', '-p', 'shop', '-f', '/srv/a.yml', '-f', '/srv/b.yml', '-f', '/state/rewind.override.yml', 'up', '-d', '--no-deps', 'web']);
    expect(upCommand({ ...at, flavour: 'docker-compose-plugin' }, ['web', 'worker']).argv).toEqual(['/usr/bin/docker', 'compose', '-p', 'shop', '-f', '/srv/a.yml', '-f', '/srv/b.yml', '-f', '/state/rewind.override.yml', 'up', '-d', '--no-deps', 'web', 'worker']);
    expect(composeCommand({ ...at, override: null }, ['stop']).argv).toEqual(['docker-compose', '-p', 'shop', '-f', '/srv/a.yml', '-f', '/srv/b.yml', 'stop']);
    expect(upCommand(at, ['web']).env).toEqual({ DOCKER_HOST: 'unix:///d.sock' });
  });

  it('the override file pins images and labels each service with the release that pinned it; variable-pinned services get the label only', () => {
    const yaml = overrideYaml({ active: '1.1.0', services: { web: { image: 'r/web@sha256:aa', version: '1.1.0' }, api: { image: 'r/api@sha256:bb', version: '1.0.0' } } }, { api: 'API_IMAGE' });
    expect(JSON.parse(yaml.split('\n').filter((l) => !l.startsWith('#')).join('\n'))).toEqual({
      services: { web: { image: 'r/web@sha256:aa', labels: { 'rewind.version': '1.1.0' } }, api: { labels: { 'rewind.version': '1.0.0' } } },
    });
  });

  it('image references: registry ports are not tags; a digest must be sha256 with 64 hex digits', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference('localhost:5000/app:1.2')).toEqual({ repository: 'localhost:5000/app', tag: '1.2', digest: null });
    expect(parseImageReference('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app', tag: null, digest: null });
    expect(parseImageReference(`app:1.2@${digest}`)).toEqual({ repository: 'app', tag: '1.2', digest });
    expect(parseImageReference('app@sha256:abc')).toBeNull();
    expect(parseImageReference('app; rm -rf /')).toBeNull();
    expect(parseImageReference('app:')).toBeNull();
  });
});

/** Answers each argv (joined) with an exit code, and records what ran. */
class ScriptedExecutor implements Executor {
  readonly ran: string[][] = [];
  constructor(private readonly exits: Record<string, number>) {}
  async run(command: CommandSpec): Promise<CommandResult> {
    this.ran.push([...command.argv]);
    const exitCode = this.exits[command.argv.join(' ')] ?? 0;
    return { exitCode, signal: null, stdout: exitCode === 0 ? 'web\n' : '', stderr: exitCode === 0 ? '' : 'not found', durationMs: 1, timedOut: false };
  }
}

describe('command: auto', () => {
  async function targetWith(exits: Record<string, number>, env: NodeJS.ProcessEnv = { PATH: '' }) {
    const dir = await mkdtemp(join(tmpdir(), 'cc-'));
    await writeFile(join(dir, 'a.yml'), 'services: {}\n');
    const config = { ...composeTargetSchema.parse({ type: 'compose', project: 'shop', files: [join(dir, 'a.yml')] }), stateDir: join(dir, 'state') };
    const executor = new ScriptedExecutor(exits);
    return { target: new ComposeTarget(config, executor, undefined, env), executor, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  it('uses the v2 plugin when `docker compose version` answers, without asking v1', async () => {
    const { target, executor, cleanup } = await targetWith({});
    await target.checkServices(['web']);
    expect(executor.ran.map((argv) => argv.slice(0, 3).join(' '))).toEqual(['docker compose version', 'docker compose -p']);
    await cleanup();
  });

  it('falls back to docker-compose (v1) when the plugin is missing', async () => {
    const { target, executor, cleanup } = await targetWith({ 'docker compose version': 1 });
    await target.checkServices(['web']);
    expect(executor.ran.map((argv) => argv.slice(0, 2).join(' '))).toEqual(['docker compose', 'docker-compose version', 'docker-compose -p']);
    await cleanup();
  });

  it('takes a docker-compose on PATH as v1 without asking it, when no v2 plugin is in Docker\'s plugin folders', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'cb-'));
    await writeFile(join(bin, 'docker-compose'), '');
    const { target, executor, cleanup } = await targetWith({}, { PATH: bin, HOME: bin });
    await target.checkServices(['web']);
    expect(executor.ran.map((argv) => argv.slice(0, 2).join(' '))).toEqual(['docker-compose -p']);
    await cleanup();
    await rm(bin, { recursive: true, force: true });
  });

  it('neither answering is REWIND_E_COMPOSE_UNAVAILABLE naming both', async () => {
    const { target, cleanup } = await targetWith({ 'docker compose version': 1, 'docker-compose version': 127 });
    await expect(target.checkServices(['web'])).rejects.toMatchObject({ code: 'REWIND_E_COMPOSE_UNAVAILABLE', message: expect.stringContaining('docker-compose version') });
    await cleanup();
  });
});

describe('healthcheckExecArgs: a container\'s own HEALTHCHECK test, as Docker runs it', () => {
  it('CMD is an argv; CMD-SHELL goes through the image\'s shell, else /bin/sh -c', () => {
    expect(healthcheckExecArgs('abc', ['CMD', 'curl', '-f', 'http://127.0.0.1/health'])).toEqual(['exec', 'abc', 'curl', '-f', 'http://127.0.0.1/health']);
    expect(healthcheckExecArgs('abc', ['CMD-SHELL', 'curl -f http://127.0.0.1/ || exit 1'])).toEqual(['exec', 'abc', '/bin/sh', '-c', 'curl -f http://127.0.0.1/ || exit 1']);
    expect(healthcheckExecArgs('abc', ['CMD-SHELL', 'check'], ['/bin/bash', '-o', 'pipefail', '-c'])).toEqual(['exec', 'abc', '/bin/bash', '-o', 'pipefail', '-c', 'check']);
  });
  it('NONE, an empty or inherited test and unknown forms give nothing to run', () => {
    expect(healthcheckExecArgs('abc', ['NONE'])).toBeNull();
    expect(healthcheckExecArgs('abc', [])).toBeNull();
    expect(healthcheckExecArgs('abc', null)).toBeNull();
    expect(healthcheckExecArgs('abc', undefined)).toBeNull();
    expect(healthcheckExecArgs('abc', ['CMD'])).toBeNull();
    expect(healthcheckExecArgs('abc', ['SHELL', 'x'])).toBeNull();
  });
});

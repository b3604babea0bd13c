import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AppIo } from '../app/app-io.js';
import { composeServices } from '../app/compose-services.js';
import { openContext } from '../app/open-context.js';
import { environmentConfig } from '../config/load-config.js';
import { deploy } from '../core/operations/deploy.js';
import { registerRelease } from '../core/register-release.js';
import { RewindError } from '../errors/rewind-error.js';
import { ProcessExecutor } from '../exec/process-executor.js';
import type { CommandSpec } from '../ports/executor.js';
import type { DemoOptions, DemoResult } from './run-demo.js';
import { freePort } from './sample-artifacts.js';

const ENV = 'demo';
const BUSYBOX = '/bin/busybox';

/** The Debian packages the compose demo uses besides the engine, by the program it looks for. */
const NEEDS = [
  { program: 'docker-registry', pkg: 'docker-registry', why: 'a local registry, so the images have digests' },
  { program: BUSYBOX, pkg: 'busybox-static', why: 'the static busybox the demo images are built from' },
] as const;

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return program.startsWith('/') ? existsSync(program) : (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, program)));
}

/**
 * `rewind demo --target compose`: the demo's story on a Docker Compose stack, against the engine
 * DOCKER_HOST names (or the local socket). It builds two images of a busybox httpd (1.0.0 healthy;
 * 1.1.0 whose container healthcheck fails), pushes them to a throwaway local registry so they have
 * digests, deploys 1.0.0, deploys 1.1.0, and watches rewind roll back to 1.0.0's digest by itself.
 * Without an engine it says how to start one, and changes nothing.
 */
export async function runComposeDemo(io: AppIo, options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const env = io.env;
  const executor = new ProcessExecutor();
  const docker = (args: string[], timeoutMs = 120_000): CommandSpec => ({ argv: ['docker', ...args], env: { DOCKER_BUILDKIT: '0' }, timeoutMs });
  const engine = await executor.run(docker(['version', '--format', '{{.Server.Version}}'], 20_000)).catch((error: Error) => ({ exitCode: null, stdout: '', stderr: error.message }));
  if (engine.exitCode !== 0) {
    throw new RewindError(
      'REWIND_E_DOCKER_UNAVAILABLE',
      `no Docker engine answers at ${env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'} (${engine.stderr.trim().split('\n')[0] || 'docker not found'}): start one — \`sudo systemctl start docker\`, or without systemd \`sudo dockerd &\` — or point DOCKER_HOST at one, then run \`rewind demo --target compose\` again`,
      { dockerHost: env.DOCKER_HOST ?? null },
    );
  }
  const missing = NEEDS.filter((need) => !onPath(need.program, env));
  if (missing.length) {
    throw new RewindError('REWIND_E_DOCKER_UNAVAILABLE', `the compose demo also needs ${missing.map((m) => `${m.program} (${m.why}; Debian package ${m.pkg})`).join(' and ')}: \`apt-get install ${missing.map((m) => m.pkg).join(' ')}\``, { missing: missing.map((m) => m.program) });
  }
  const say = (line: string) => {
    if (!options.json) io.stdout.write(`${line}\n`);
  };
  const sandbox = await mkdtemp(join(tmpdir(), 'rewind-demo-compose-'));
  const project = `rewinddemo${process.pid}`;
  const registryPort = await freePort();
  let appPort = 0;
  let registry: ChildProcess | undefined;
  const images: string[] = [];
  let ok = false;
  let servedVersion: string | null = null;
  let events: DemoResult['events'] = [];
  try {
    await mkdir(join(sandbox, 'registry'));
    await writeFile(join(sandbox, 'registry.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(sandbox, 'registry')}\nhttp:\n  addr: 127.0.0.1:${registryPort}\n`);
    // A server for the demo's lifetime: started here and stopped by its PID in `finally`.
    const log = openSync(join(sandbox, 'registry.log'), 'a');
    registry = spawn('docker-registry', ['serve', join(sandbox, 'registry.yml')], { stdio: ['ignore', log, log] });
    for (let i = 0; !(await fetch(`http://127.0.0.1:${registryPort}/v2/`).then((r) => r.ok, () => false)); i++) {
      if (i > 100 || registry.exitCode !== null) throw new Error(`docker-registry did not start (see ${join(sandbox, 'registry.log')})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    say(`rewind demo --target compose — sandbox ${sandbox}, Docker ${engine.stdout.trim()}, registry localhost:${registryPort}`);
    const build = async (version: string, healthy: boolean) => {
      const context = join(sandbox, `build-${version}`);
      await mkdir(join(context, 'www'), { recursive: true });
      copyFileSync(BUSYBOX, join(context, 'busybox'));
      await writeFile(join(context, 'www', 'version'), `${version}\n`);
      if (healthy) await writeFile(join(context, 'www', 'health'), 'ok\n');
      await writeFile(join(context, 'Dockerfile'), [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'COPY www /www',
        'STOPSIGNAL SIGKILL',
        'HEALTHCHECK --interval=500ms --timeout=2s --retries=2 CMD ["/bin/busybox", "sh", "-c", "/bin/busybox wget -q -O- http://127.0.0.1:$PORT/health"]',
        'CMD ["/bin/busybox", "sh", "-c", "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www"]',
        '',
      ].join('\n'));
      const tag = `localhost:${registryPort}/rewind-demo-app:${version}`;
      for (const args of [['build', '-q', '-t', tag, context], ['push', tag]]) {
        const result = await executor.run(docker(args));
        if (result.exitCode !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr.trim()}`);
      }
      images.push(tag);
      return tag;
    };
    const good = await build('1.0.0', true);
    const broken = await build('1.1.0', false);
    say('built and pushed 1.0.0 (healthy) and 1.1.0 (its container healthcheck fails)\n');
    // Chosen once the images are built, just before the first container needs it: the shorter the
    // wait, the smaller the chance something else takes it meanwhile.
    appPort = await freePort();
    await writeFile(join(sandbox, 'docker-compose.yml'), `version: "3.8"\nservices:\n  app:\n    image: ${good}\n    network_mode: host\n    environment:\n      PORT: "${appPort}"\n`);
    const configPath = join(sandbox, 'rewind.yaml');
    await writeFile(configPath, `ledger: ./rewind.db\nlog:\n  file: ./events.log\nenvironments:\n  ${ENV}:\n    target:\n      type: compose\n      project: ${project}\n      files: [docker-compose.yml]\n      healthTimeoutMs: 30000\n    health:\n      url: http://127.0.0.1:${appPort}/health\n`);
    const context = await openContext({ config: configPath, env });
    try {
      const view = await options.view?.();
      const services = await composeServices(context, { sinks: view ? [view] : [], stderr: io.stderr, interruption: io.interruption });
      const target = services.createTarget(ENV, environmentConfig(context.config, ENV));
      for (const [version, tag] of [['1.0.0', good], ['1.1.0', broken]] as const) {
        await registerRelease(services, ENV, version, { artifact: await target.artifactFromImages!({ app: tag }), ci: 'passed' });
      }
      say('registered both, each by the digest its tag had (the tag is not recorded)\n');
      const first = await deploy(services, ENV, '1.0.0');
      say('');
      const second = await deploy(services, ENV, '1.1.0');
      say('');
      servedVersion = await fetch(`http://127.0.0.1:${appPort}/version`).then(async (r) => (r.ok ? (await r.text()).trim() : null), () => null);
      ok = first.ok && !second.ok && second.error?.code === 'REWIND_E_DEPLOY_ROLLED_BACK' && servedVersion === '1.0.0';
      say(ok ? `verified: 1.0.0's container serves again (GET /version → ${servedVersion})` : `unexpected: /version → ${servedVersion}; deploy 1.1.0 → ${second.error?.code ?? 'ok'}`);
      events = await context.ledger.listEvents(ENV, { limit: 1000 });
    } finally {
      await context.close();
    }
  } finally {
    // Nothing may outlive the demo: its containers, its images, its registry.
    const ids = (await executor.run(docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]))).stdout.split('\n').filter(Boolean);
    if (ids.length) await executor.run(docker(['rm', '-f', ...ids]));
    const refs = (await executor.run(docker(['image', 'ls', '-q', `localhost:${registryPort}/rewind-demo-app`]))).stdout.split('\n').filter(Boolean);
    if (refs.length) await executor.run(docker(['image', 'rm', '-f', ...new Set(refs)]));
    if (registry && registry.exitCode === null) {
      const exited = new Promise((r) => registry!.once('exit', r));
      registry.kill('SIGTERM');
      await exited;
    }
    if (!options.keep) await rm(sandbox, { recursive: true, force: true });
  }
  const durationMs = Math.round(performance.now() - started);
  say(`\n${ok ? '✓ demo passed' : '✗ demo failed'} in ${durationMs} ms; containers, images and the registry removed${options.keep ? `; sandbox kept at ${sandbox}` : ''}`);
  if (options.json) io.stdout.write(`${JSON.stringify({ event: 'demo_complete', success: ok, servedVersion, durationMs })}\n`);
  return { ok, servedVersion, events, sandbox, durationMs };
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/util/free-port.js';

/** Re-exported: the tests and the demo take their ports from one place (src/util/free-port.ts). */
export { freePort };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The docker CLI the tests use: Debian's docker.io (/usr/bin/docker), else whatever `docker` is on PATH. */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';


/** A child the test owns, stopped by its PID. */
class OwnedProcess {
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcess) {
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** A local registry (Debian's docker-registry, distribution 2.8) on a loopback port, storage in the engine's temp dir. */
export class LocalRegistry {
  constructor(
    readonly port: number,
    private readonly process: OwnedProcess,
    private readonly config: string,
    private readonly log: string,
  ) {}

  get address(): string {
    return `localhost:${this.port}`;
  }

  static async start(root: string, port?: number): Promise<LocalRegistry> {
    const listen = port ?? (await freePort());
    const dir = join(root, `registry-${listen}`);
    await mkdir(join(dir, 'data'), { recursive: true });
    const config = join(dir, 'config.yml');
    await writeFile(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${listen}\n`);
    const log = join(dir, 'log');
    const out = await import('node:fs').then((fs) => fs.openSync(log, 'a'));
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', out, out] });
    const registry = new LocalRegistry(listen, new OwnedProcess(child), config, log);
    for (let i = 0; ; i++) {
      const answered = await fetch(`http://127.0.0.1:${listen}/v2/`).then((r) => r.ok, () => false);
      if (answered) return registry;
      if (!registry.process.running || i > 200) {
        await registry.stop();
        throw new Error(`docker-registry did not come up: ${readFileSync(log, 'utf8').slice(-2000)}`);
      }
      await sleep(50);
    }
  }

  get running(): boolean {
    return this.process.running;
  }

  /** Stops it by its PID (the registry outage of the tests); its storage stays for a restart. */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  /** Starts it again on the same port and storage. */
  static restart(previous: LocalRegistry, root: string): Promise<LocalRegistry> {
    return LocalRegistry.start(root, previous.port);
  }
}

/**
 * A Docker engine of a test file's own: Debian's dockerd with its data, exec root, socket and
 * pidfile in a temp dir (vfs storage, no bridge, no iptables: containers use the host's network),
 * run as a child of the test and stopped by its PID. The test images are built locally from
 * scratch and the static busybox, and pushed to a local registry so they have real digests:
 * nothing is downloaded.
 */
export class DockerEngine {
  private registries: LocalRegistry[] = [];

  private constructor(
    readonly root: string,
    private readonly daemon: OwnedProcess,
  ) {}

  get host(): string {
    return `unix://${join(this.root, 'd.sock')}`;
  }

  get env(): Record<string, string> {
    return { DOCKER_HOST: this.host };
  }

  static async start(): Promise<DockerEngine> {
    // Short: dockerd's and containerd's unix sockets live under the exec root (108-byte limit).
    const root = await mkdtemp(join(tmpdir(), 'dk-'));
    const log = join(root, 'dockerd.log');
    const out = await import('node:fs').then((fs) => fs.openSync(log, 'a'));
    // dockerd's and containerd's own temp files (containerd writes containerd.<pid>.stacks.log there
    // when it dumps its goroutines on a slow shutdown) stay inside the engine's dir, removed by stop().
    const temp = join(root, 'daemon-tmp');
    await import('node:fs').then((fs) => fs.mkdirSync(temp));
    const child = spawn(
      'dockerd',
      [
        '--data-root', join(root, 'data'),
        '--exec-root', join(root, 'x'),
        '-H', `unix://${join(root, 'd.sock')}`,
        '--pidfile', join(root, 'd.pid'),
        '--storage-driver=vfs', '--bridge=none', '--iptables=false', '--ip6tables=false',
      ],
      { stdio: ['ignore', out, out], env: { ...process.env, TMPDIR: temp } },
    );
    const engine = new DockerEngine(root, new OwnedProcess(child));
    for (let i = 0; ; i++) {
      if (engine.docker(['version', '--format', '{{.Server.Version}}'], { check: false }).status === 0) return engine;
      if (!engine.daemon.running || i > 300) {
        const text = readFileSync(log, 'utf8').slice(-3000);
        await engine.stop();
        throw new Error(`dockerd did not come up: ${text}`);
      }
      await sleep(100);
    }
  }

  /** Runs the docker CLI against this engine; throws on a non-zero exit unless `check: false`. */
  docker(args: string[], options: { check?: boolean; cwd?: string; env?: Record<string, string> } = {}) {
    const result = spawnSync(DOCKER_CLI, args, { encoding: 'utf8', cwd: options.cwd, env: { ...process.env, ...this.env, DOCKER_BUILDKIT: '0', ...options.env }, timeout: 120_000 });
    if ((options.check ?? true) && result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return result;
  }

  async registry(): Promise<LocalRegistry> {
    const registry = await LocalRegistry.start(this.root);
    this.registries.push(registry);
    return registry;
  }

  /** Restarts a registry stopped by the test (same port, same storage). */
  async restartRegistry(registry: LocalRegistry): Promise<LocalRegistry> {
    const again = await LocalRegistry.restart(registry, this.root);
    this.registries.push(again);
    return again;
  }

  /**
   * Builds the test app for `version` (busybox httpd serving /www, listening on 127.0.0.1:$PORT) and
   * pushes it as <registry>/<name>:<version>; returns `repo:tag` and `repo@sha256:...`. With
   * `healthy: false` it has no /www/health (its healthcheck fails); `smoke: false` leaves out /www/smoke;
   * `healthcheckInterval` (Docker's --interval, default 300ms) is when Docker first probes it;
   * `bootSeconds` delays the server's start, as an app's own boot does.
   */
  async buildApp(registry: LocalRegistry, name: string, version: string, options: { healthy?: boolean; smoke?: boolean; healthcheckInterval?: string; bootSeconds?: number } = {}): Promise<{ tag: string; pinned: string }> {
    const context = join(this.root, 'build', `${name}-${version}`);
    await mkdir(join(context, 'www'), { recursive: true });
    copyFileSync('/bin/busybox', join(context, 'busybox'));
    await writeFile(join(context, 'www', 'version'), `${version}\n`);
    if (options.healthy ?? true) await writeFile(join(context, 'www', 'health'), 'ok\n');
    if (options.smoke ?? true) await writeFile(join(context, 'www', 'smoke'), 'ok\n');
    await writeFile(
      join(context, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'COPY www /www',
        `LABEL test.version=${version}`,
        // httpd runs as PID 1, which ignores SIGTERM without a handler: stop at once instead of after 10 s.
        'STOPSIGNAL SIGKILL',
        `HEALTHCHECK --interval=${options.healthcheckInterval ?? '300ms'} --timeout=2s --retries=2 CMD ["/bin/busybox", "sh", "-c", "/bin/busybox wget -q -O- http://127.0.0.1:$PORT/health"]`,
        `CMD ["/bin/busybox", "sh", "-c", "${options.bootSeconds ? `/bin/busybox sleep ${options.bootSeconds}; ` : ''}exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www"]`,
        '',
      ].join('\n'),
    );
    const tag = `${registry.address}/${name}:${version}`;
    this.docker(['build', '-q', '-t', tag, context]);
    this.docker(['push', tag]);
    const digests = JSON.parse(this.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', tag]).stdout) as string[];
    const pinned = digests.find((d) => d.startsWith(`${registry.address}/${name}@`))!;
    await rm(context, { recursive: true, force: true });
    return { tag, pinned };
  }

  /** `docker inspect` of the running containers of a compose project's service. */
  containers(project: string, service: string): { Id: string; Config: { Image: string; Labels: Record<string, string> }; State: { StartedAt: string; Running: boolean; Health?: { Status: string } } }[] {
    const ids = this.docker(['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`]).stdout.split('\n').filter(Boolean);
    return ids.length ? JSON.parse(this.docker(['inspect', ...ids]).stdout) : [];
  }

  /** Removes every container, stops the registries and dockerd by PID, unmounts what it left, removes the temp dir. */
  async stop(): Promise<void> {
    if (this.daemon.running) {
      const ids = this.docker(['ps', '-aq'], { check: false }).stdout.split('\n').filter(Boolean);
      if (ids.length) this.docker(['rm', '-f', ...ids], { check: false });
    }
    for (const registry of this.registries) await registry.stop();
    await this.daemon.stop(30_000);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => (line.split(' ')[4] ?? '').replace(/\\040/g, ' '))
      .filter((point) => point.startsWith(`${this.root}/`))
      .sort((a, b) => b.length - a.length);
    for (const point of mounts) spawnSync('umount', [point]);
    await rm(this.root, { recursive: true, force: true });
  }
}

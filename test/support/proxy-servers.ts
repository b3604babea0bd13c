import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../src/demo/sample-artifacts.js';

/**
 * Private nginx and haproxy servers for benchmarks and tests: config, pid file, logs and sockets in
 * a temp dir, started in the foreground, stopped by their own pid. Nothing under /etc or /var.
 */

export interface ProxyServer {
  child: ChildProcess;
  /** The port the proxy listens on (127.0.0.1). */
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** One server behind the proxy. */
export interface ProxiedServer {
  name: string;
  host: string;
  port: number;
  /** haproxy's initial weight (0–256). */
  weight: number;
}

export function startProcess(argv: string[]): Omit<ProxyServer, 'port'> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    if (output.length < 64 * 1024) output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`\n${argv[0]}: ${error.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // nginx and haproxy both stop at once on SIGTERM; SIGKILL if that took more than 5 s.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once `probe` is true, polling every 20 ms for at most `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what} not within ${timeoutMs} ms`);
}

/** Waits for `ready`; a server that did not get ready is stopped before the error goes to a caller who has no handle on it. */
async function stoppedUnless(proxy: Omit<ProxyServer, 'port'>, ready: Promise<void>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** nginx.conf for a private nginx that proxies everything to `upstream`, defined in `<root>/upstream.conf`. */
export function nginxConf(root: string, port: number, upstream = 'rewind_app'): string {
  return `daemon off;
worker_processes 2;
pid ${root}/nginx.pid;
error_log ${root}/error.log notice;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${root}/client_body;
  proxy_temp_path ${root}/proxy;
  fastcgi_temp_path ${root}/fastcgi;
  uwsgi_temp_path ${root}/uwsgi;
  scgi_temp_path ${root}/scgi;
  include ${root}/upstream.conf;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
    }
  }
}
`;
}

/** haproxy.cfg for a private haproxy: admin socket `<root>/admin.sock`, one backend `app` with `servers`. */
export function haproxyCfg(root: string, port: number, servers: ProxiedServer[]): string {
  return `global
  stats socket ${root}/admin.sock mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${port}
  default_backend app
backend app
  balance roundrobin
${servers.map((s) => `  server ${s.name} ${s.host}:${s.port} weight ${s.weight}`).join('\n')}
`;
}

/** Starts a private haproxy in `root`; resolves once its socket exists and it accepts connections. */
export async function startHaproxy(root: string, servers: ProxiedServer[], port?: number): Promise<ProxyServer & { socket: string }> {
  port ??= await freePort();
  const cfg = join(root, 'haproxy.cfg');
  const socket = join(root, 'admin.sock');
  await writeFile(cfg, haproxyCfg(root, port, servers));
  const proxy = startProcess(['haproxy', '-db', '-f', cfg]);
  await stoppedUnless(proxy, waitUntil('haproxy listening', async () => {
    if (proxy.child.exitCode !== null) throw new Error(`haproxy exited: ${proxy.output()}`);
    return existsSync(socket) && (await accepts(port));
  }));
  return { ...proxy, port, socket };
}

/** The paths a private nginx in `root` uses, as the nginx router's options name them. */
export function nginxPaths(root: string) {
  return { upstreamFile: join(root, 'upstream.conf'), prefix: root, configFile: join(root, 'nginx.conf'), errorLog: join(root, 'error.log'), pidFile: join(root, 'nginx.pid') };
}

/** Starts a private nginx in `root` with `upstreamText` as its upstream file; resolves once it accepts connections. */
export async function startNginx(root: string, upstreamText: string, options: { port?: number; upstream?: string } = {}): Promise<ProxyServer> {
  // Workers run as nobody when nginx starts as root; they must be able to reach the temp paths.
  await chmod(root, 0o755);
  const port = options.port ?? (await freePort());
  const paths = nginxPaths(root);
  await writeFile(paths.configFile, nginxConf(root, port, options.upstream));
  await writeFile(paths.upstreamFile, upstreamText);
  const proxy = startProcess(['nginx', '-p', root, '-c', paths.configFile, '-e', paths.errorLog]);
  await stoppedUnless(proxy, waitUntil('nginx listening', async () => {
    if (proxy.child.exitCode !== null) throw new Error(`nginx exited: ${proxy.output()}`);
    return accepts(port!);
  }));
  return { ...proxy, port };
}

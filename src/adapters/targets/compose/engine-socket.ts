import { existsSync, readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:http';
import { join } from 'node:path';

// Docker's Engine API over its unix socket, for the reads a compose activation repeats while it
// waits (list, inspect, run the healthcheck test) and the image check of prepare. Each docker CLI
// call is a process start (15 to 20 ms here, more on a loaded machine); a request on a kept-alive
// socket is about 1 ms. Anything that changes the stack (pull, compose up/stop, image rm) stays a
// docker or compose argv, printed by dry-runs.

/**
 * The unix socket the docker CLI would talk to, or null when it would not talk to a local socket
 * (tcp://, ssh://, a docker context other than the default): then rewind runs the docker CLI and
 * lets it decide. `dockerHost` is the target's setting; else DOCKER_HOST; else Docker's default.
 */
export function dockerSocketPath(dockerHost: string | undefined, env: NodeJS.ProcessEnv): string | null {
  const host = dockerHost ?? env.DOCKER_HOST;
  if (host) return host.startsWith('unix://') && host.length > 'unix://'.length ? host.slice('unix://'.length) : null;
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return null;
  const configDir = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : null);
  if (configDir) {
    try {
      const current = (JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { currentContext?: string }).currentContext;
      if (current && current !== 'default') return null;
    } catch {
      // No config file (or not JSON): the CLI would use its default too.
    }
  }
  return existsSync('/var/run/docker.sock') ? '/var/run/docker.sock' : null;
}

export interface EngineResponse {
  status: number;
  body: string;
}

/** The socket could not be reached (missing, refused, no permission): the caller falls back to the CLI. */
export class EngineUnreachable extends Error {}

export class EngineSocket {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(readonly socketPath: string) {}

  request(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<EngineResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      // servername: a TLS server name has no meaning on a unix socket. Left unset, Node's agent derives
      // one from the Host header and tests it with net.isIP, whose first IPv6 check compiles a large
      // regular expression: 3 ms of the first request, which every compose rollback's prepare makes.
      const options: RequestOptions & { servername: string } = {
        socketPath: this.socketPath,
        agent: this.agent,
        servername: '',
        method,
        path,
        headers: { Host: 'docker', ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) },
        timeout: timeoutMs,
      };
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`Docker Engine API ${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM'].includes(error.code ?? '') ? new EngineUnreachable(`${this.socketPath}: ${error.message}`) : error);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/*
 * Real traffic through a real proxy, for the TrafficRouter contract and the router tests: two tiny
 * backends, keep-alive clients that tally who answered, and the proxy's process.
 */
import { spawnSync } from 'node:child_process';
import { createServer, Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrafficRouter } from '../../src/ports/traffic-router.js';
import { accepts, startProcess, waitUntil } from './proxy-servers.js';

/** What a router test file hands the contract once its proxy runs in front of the two backends. */
export interface RouterHarness {
  router: TrafficRouter;
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** The proxy's name in printed measurements. */
  label: string;
}

/** Fails with the install line when the proxy is not on PATH: these tests need the real program. */
export function requireProgram(program: string, versionFlag: string, debianPackage: string): void {
  const probe = spawnSync(program, [versionFlag], { stdio: 'ignore' });
  if (probe.error) throw new Error(`${program} is not installed: apt-get install -y ${debianPackage}`);
}

/** A proxy started in the foreground by the test, stopped by its own pid. */
export type ProxyProcess = ReturnType<typeof startProcess>;
export const startProxy = startProcess;
export { accepts, waitUntil };

/** Two tiny node:http backends answering their own name (`stable` / `canary`). */
export interface Backends {
  stable: { name: string; host: string; port: number };
  canary: { name: string; host: string; port: number };
  close(): Promise<void>;
}

export async function startBackends(): Promise<Backends> {
  const servers: Server[] = [];
  const start = async (name: string) => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(name) });
      res.end(name);
    });
    // Longer than any test: a backend closing an idle proxy connection is not what is measured here.
    server.keepAliveTimeout = 120_000;
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { name, host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  };
  return {
    stable: await start('stable'),
    canary: await start('canary'),
    async close() {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

export interface Tally {
  stable: number;
  canary: number;
  /** Requests that got no answer: connection reset, closed, timed out. */
  connectionErrors: number;
  /** connectionErrors by error code (ECONNRESET, timeout…). */
  errorKinds: Record<string, number>;
  /** Answers other than 200 (a 502 / 503 from the proxy). */
  badStatus: number;
  /** Which backend answered, in order (sample() only). */
  order: string[];
  /** The client's local port per answer, to tell a reused connection from a new one (sample() only). */
  localPorts: number[];
}

const emptyTally = (): Tally => ({ stable: 0, canary: 0, connectionErrors: 0, errorKinds: {}, badStatus: 0, order: [], localPorts: [] });

/** One GET over `agent`, bounded by a 2 s timeout. */
function get(port: number, agent: Agent): Promise<{ body?: string; status?: number; localPort?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ body, status: res.statusCode, localPort: req.socket?.localPort }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

function count(tally: Tally, answer: Awaited<ReturnType<typeof get>>, keepOrder: boolean): void {
  if (answer.error !== undefined) {
    tally.connectionErrors++;
    tally.errorKinds[answer.error] = (tally.errorKinds[answer.error] ?? 0) + 1;
  }
  else if (answer.status !== 200) tally.badStatus++;
  else {
    if (answer.body === 'stable') tally.stable++;
    else if (answer.body === 'canary') tally.canary++;
    if (keepOrder) {
      tally.order.push(answer.body!);
      tally.localPorts.push(answer.localPort ?? 0);
    }
  }
}

/** `n` requests one after another over one keep-alive connection (the agent may be reused between samples). */
export async function sample(port: number, n: number, agent = new Agent({ keepAlive: true, maxSockets: 1 })): Promise<Tally> {
  const tally = emptyTally();
  for (let i = 0; i < n; i++) count(tally, await get(port, agent), true);
  return tally;
}

/**
 * `connections` keep-alive clients sending back to back for `durationMs` (and at most `maxRequests`
 * in all) while `during()` runs; each client has its own agent with one socket, so a connection the
 * proxy closes is one client's problem, as for a browser.
 */
export async function underLoad(
  port: number,
  options: { connections: number; durationMs: number; maxRequests: number },
  during: () => Promise<void>,
): Promise<Tally & { total: number }> {
  const tally = emptyTally();
  let total = 0;
  const deadline = performance.now() + options.durationMs;
  const running = () => performance.now() < deadline && total < options.maxRequests;
  const clients = Array.from({ length: options.connections }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (running()) {
      total++;
      count(tally, await get(port, agent), false);
    }
    agent.destroy();
  });
  const [action] = await Promise.allSettled([during(), ...clients]);
  if (action.status === 'rejected') throw action.reason;
  return { ...tally, total };
}


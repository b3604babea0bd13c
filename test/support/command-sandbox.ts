import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { composeServices } from '../../src/app/compose-services.js';
import { openContext } from '../../src/app/open-context.js';
import { registerRelease } from '../../src/core/register-release.js';
import type { Services } from '../../src/core/services.js';
import type { Ledger } from '../../src/ports/ledger.js';
import { collect, CLI, type CliResult } from './sandbox.js';
import { spawn } from 'node:child_process';
import { loadAdapters } from '../../src/adapters/registry.js';

const { createDatabaseEngine, createMetricSource, createTarget, createTrafficRouter } = await loadAdapters();

export const ENV = 'staging';

/**
 * The app, as far as rewind can tell, without PM2: one in-process HTTP server answers
 * `GET /<sandbox id>/health` for every sandbox of a test file, from the files of the release the
 * sandbox's `current` link names — 200 `{"version": <release>}`, or 500 when that release's
 * directory holds a file `BAD`. "Bad" is thus a property of a release's files, as in reality, and
 * what "serves" is exactly what the link names when the probe arrives.
 */
export class ReleaseHealthServer {
  private readonly roots = new Map<string, string>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<ReleaseHealthServer> {
    let self: ReleaseHealthServer | undefined;
    const server = createServer((request, response) => {
      const id = (request.url ?? '').split('/')[1] ?? '';
      const answer = self!.answer(id);
      response.writeHead(answer.status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new ReleaseHealthServer(server, (server.address() as { port: number }).port);
    return self;
  }

  /** What the sandbox `id` serves now: its `current` link resolved, or nothing. */
  answer(id: string): { status: number; body: { version?: string; error?: string } } {
    const srv = this.roots.get(id);
    if (!srv) return { status: 404, body: { error: `no sandbox ${id}` } };
    let dir: string;
    try {
      dir = realpathSync(join(srv, 'current'));
    } catch {
      return { status: 503, body: { error: 'nothing is deployed' } };
    }
    const version = basename(dir);
    return existsSync(join(dir, 'BAD')) ? { status: 500, body: { version, error: 'broken release' } } : { status: 200, body: { version } };
  }

  register(id: string, srv: string): void {
    this.roots.set(id, srv);
  }

  unregister(id: string): void {
    this.roots.delete(id);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface CommandSandbox {
  root: string;
  id: string;
  configPath: string;
  ledger: Ledger;
  services: Services;
  /** Registers a release whose files make it healthy, or broken (`bad`: a `BAD` file in it); CI passed. */
  release(version: string, options?: { bad?: boolean }): Promise<void>;
  /** What the health endpoint answers now. */
  served(): { status: number; version?: string };
  /** The built CLI on this sandbox's config, with extra environment (REWIND_FAILPOINTS). */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * A throwaway environment that is fast enough for property tests: a temp dir, a real SQLite ledger
 * file, the real releases target with the real `command` runtime (start and reload run `true`),
 * and the real HTTP health check against {@link ReleaseHealthServer}. No PM2.
 */
export async function createCommandSandbox(
  health: ReleaseHealthServer,
  options: {
    keep?: number;
    /** A replacement `runtime:` mapping's keys, YAML indented 8 spaces (`start: ["true"]`, `reload: ["true"]` by default). */
    runtimeYaml?: string;
    /** More keys of the environment's section, YAML indented 4 spaces (`ci:`). */
    environmentYaml?: string;
  } = {},
): Promise<CommandSandbox> {
  const root = await mkdtemp(join(tmpdir(), 'rewind-cmd-'));
  const id = basename(root);
  const srv = join(root, 'srv');
  const configPath = join(root, 'rewind.yaml');
  await writeFile(
    configPath,
    `version: 1
ledger: ${join(root, 'rewind.db')}
log:
  file: ${join(root, 'rewind-events.log')}
environments:
  ${ENV}:
    target:
      type: releases
      path: ${srv}
      keep: ${options.keep ?? 4}
      runtime:
${options.runtimeYaml ?? `        type: command
        start: ["true"]
        reload: ["true"]
        timeoutMs: 10000`}
    health:
      url: http://127.0.0.1:${health.port}/${id}/health
      expectStatus: 200
      json:
        version: "{{version}}"
      timeoutMs: 5000
      retries: 0
      backoffMs: 0
      readinessDelayMs: 0
    deploy:
      autoRollback: true
      minFreeMb: 1
${options.environmentYaml ?? ''}`,
  );
  health.register(id, srv);
  const context = await openContext({ config: configPath, env: process.env, actor: 'tester@test' });
  const { ledger } = context;
  // The ledger's audit trail only: no event log file, no webhooks.
  const services: Services = await composeServices(context, { eventLog: false, webhooks: false });
  return {
    root,
    id,
    configPath,
    ledger,
    services,
    async release(version, releaseOptions = {}) {
      const dir = join(root, 'artifacts', version);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'app.txt'), `release ${version}\n`);
      if (releaseOptions.bad) await writeFile(join(dir, 'BAD'), 'fails its health check\n');
      await registerRelease(services, ENV, version, { artifact: dir, ci: 'passed', commit: 'abcdef1234567' });
    },
    served() {
      const answer = health.answer(id);
      return { status: answer.status, version: answer.body.version };
    },
    cli(args, env = {}) {
      return collect(spawn(process.execPath, [CLI, ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }), 60_000);
    },
    async close() {
      health.unregister(id);
      await ledger.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Pm2Runtime } from '../../src/adapters/runtimes/pm2/pm2-runtime.js';
import { composeServices } from '../../src/app/compose-services.js';
import { openContext, type AppContext } from '../../src/app/open-context.js';
import type { RewindConfig } from '../../src/config/config-schema.js';
import type { Services } from '../../src/core/services.js';
import { registerRelease } from '../../src/core/register-release.js';
import { MemorySink } from '../../src/events/event-sinks.js';
import type { Ledger } from '../../src/ports/ledger.js';
import { buildSampleArtifact, freePort, sampleConfigYaml, type SampleRelease } from '../../src/demo/sample-artifacts.js';
import { loadAdapters } from '../../src/adapters/registry.js';

const { createDatabaseEngine, createMetricSource, createTarget, createTrafficRouter } = await loadAdapters();

export const ENV = 'staging';
export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface Sandbox {
  root: string;
  port: number;
  configPath: string;
  config: RewindConfig;
  ledger: Ledger;
  services: Services;
  memory: MemorySink;
  /** Registers the sample app as `version`, optionally with a fault and extra files (migrations), CI passed unless told. */
  release(version: string, options?: { fault?: SampleRelease['fault']; ci?: string; files?: Record<string, string> }): Promise<void>;
  served(): Promise<{ status: number; version?: string }>;
  /** Runs the built CLI on this sandbox's config; `env` is added to the test's own environment. */
  cli(args: string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** Starts the CLI without waiting, for tests that kill it or race it; `detached`: its own process group, as a terminal's foreground job. */
  spawnCli(args: string[], options?: { detached?: boolean }): ChildProcess;
  close(): Promise<void>;
}

/** A throwaway environment: temp dir, SQLite ledger, the sample app under real PM2 with its own PM2_HOME. */
export async function createSandbox(
  options: {
    /** Holds the health step open, to kill or race an operation in it. */
    readinessDelayMs?: number;
    /** PM2 cluster workers of the app (1 by default); two can serve two releases at once. */
    instances?: number;
    /** Builds a replacement runtime block from the sandbox's root and port (PM2 by default). */
    runtimeYaml?: (root: string, port: number) => string;
    /** A postgres:// ledger instead of the SQLite file. */
    ledger?: string;
    /** Extra environment keys (`database:`, `smoke:`; YAML indented 4 spaces) appended to the environment. */
    databaseYaml?: (root: string, port: number) => string;
    /** Headers the health check sends with every probe. */
    healthHeaders?: Record<string, string>;
    /** `user:password` the health check sends in its URL. */
    healthUserinfo?: string;
    /** Health retries after the first probe (6 by default: 1.9 s of backoff before a broken release is judged). */
    healthRetries?: number;
    /** More environment for the app's processes, e.g. DRAIN_MS (the default PM2 runtime; a runtimeYaml brings its own). */
    appEnv?: Record<string, string>;
  } = {},
): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'rewind-test-'));
  const port = await freePort();
  const configPath = join(root, 'rewind.yaml');
  const yaml = sampleConfigYaml({
    root,
    env: ENV,
    port,
    appName: `rw-${port}`,
    retries: options.healthRetries ?? 6,
    readinessDelayMs: options.readinessDelayMs,
    instances: options.instances,
    runtimeYaml: options.runtimeYaml?.(root, port),
    ledger: options.ledger,
    healthHeaders: options.healthHeaders,
    healthUserinfo: options.healthUserinfo,
    appEnv: options.appEnv,
  });
  const memory = new MemorySink();
  let context: AppContext | undefined;
  let services: Services;
  try {
    await writeFile(configPath, options.databaseYaml ? `${yaml}${options.databaseYaml(root, port)}\n` : yaml);
    context = await openContext({ config: configPath, env: process.env, actor: 'tester@test' });
    // Webhooks stay off: the tests that want them add their own sink (and assert what it sent).
    services = await composeServices(context, { sinks: [memory], webhooks: false });
  } catch (error) {
    // The caller gets no sandbox to close (a config that does not load, a ledger that does not open).
    await context?.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const { config, ledger } = context;
  const executor = services.executor;
  // Only a PM2 sandbox has a daemon to stop; never touch a PM2_HOME the sandbox did not create.
  const runtimeConfig = config.environments[ENV]!.target.runtime;
  const pm2 = runtimeConfig.type === 'pm2' && runtimeConfig.pm2Home?.startsWith(root) ? new Pm2Runtime(runtimeConfig, executor) : null;
  return {
    root,
    port,
    configPath,
    config,
    ledger,
    services,
    memory,
    async release(version, releaseOptions = {}) {
      const dir = await buildSampleArtifact(join(root, 'artifacts'), { version, fault: releaseOptions.fault });
      for (const [file, text] of Object.entries(releaseOptions.files ?? {})) {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        await writeFile(join(dir, file), text);
      }
      await registerRelease(services, ENV, version, { artifact: dir, ci: releaseOptions.ci ?? 'passed', commit: 'abcdef1234567' });
    },
    async served() {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as { version?: string };
        return { status: response.status, version: body.version };
      } catch {
        return { status: 0 };
      }
    },
    cli(args, cliOptions = {}) {
      return runCli([...args, '--config', configPath], cliOptions.timeoutMs, cliOptions.env);
    },
    spawnCli(args, spawnOptions = {}) {
      return spawn(process.execPath, [CLI, ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: spawnOptions.detached ?? false });
    },
    async close() {
      await pm2?.destroy().catch(() => undefined);
      await ledger.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function runCli(args: string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return collect(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env }), timeoutMs);
}

/** Waits for a CLI child and gathers its output. */
export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid! });
    });
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

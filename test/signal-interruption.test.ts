import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations.js';
import type { OperationRecord } from '../src/ports/ledger.js';
import { freePort, sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { CLI, collect, createSandbox, ENV, waitFor, type CliResult, type Sandbox } from './support/sandbox.js';

const CTL = join(import.meta.dirname, 'fixtures', 'app-ctl.mjs');
const LINT_CORPUS = join(import.meta.dirname, 'lint-corpus');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One /health request on a fresh connection (PM2's cluster master hands connections round-robin to the workers). */
function probe(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, headers: { connection: 'close' }, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${(JSON.parse(body) as { version?: string }).version}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Every distinct answer of `count` requests, each on its own connection: with two workers, both are asked. */
async function answers(port: number, count = 40): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await probe(port).catch((e: Error) => `error ${e.message}`));
  return [...seen].sort();
}

interface StatusJson {
  current: { version: string; state: string } | null;
  target: { link: string | null; served: { version: string | null; processes: number }[] | null };
  agreement: { agree: boolean; problems: string[]; fix: string | null };
  unfinished: { id: string; kind: string }[];
  lock: unknown;
}

/** The children of every thread of `pid`, with their argv (Linux /proc). */
function childrenOf(pid: number): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const task of existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : []) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) {
        found.push({ pid: child, argv: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean) });
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU time (user + system) a process has used, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Waits until the journal says `stepId` of a running `kind` operation runs. */
function whenRunning(sandbox: Sandbox, kind: string, stepId: string): Promise<OperationRecord> {
  return waitFor(async () => {
    for (const op of await sandbox.ledger.findRunningOperations(ENV)) {
      if (op.kind !== kind) continue;
      if ((await sandbox.ledger.listSteps(op.id)).some((s) => s.stepId === stepId && s.state === 'running')) return op;
    }
    return undefined;
  }, 30_000, 5);
}

const events = (result: CliResult) =>
  result.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * Outside an operation there is no step to finish: the first Ctrl-C ends the command at once, as it
 * ends any program (killed by SIGINT: a shell reports status 130), even mid-way through synchronous work.
 */
describe('Ctrl-C outside an operation exits at once', () => {
  it('during `rewind lint` of a big corpus: ended by the signal, no report, no second signal needed', async () => {
    const corpus = await mkdtemp(join(tmpdir(), 'rewind-lint-big-'));
    try {
      // 200 copies of the lint corpus: seconds of parsing, far more than it takes to get the signal in.
      for (let i = 0; i < 200; i++) await cp(LINT_CORPUS, join(corpus, `copy-${i}`), { recursive: true, filter: (src) => !src.endsWith('.json') });
      const child = spawn(process.execPath, [CLI, 'lint', corpus], { stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, 20_000);
      // Linting for a while already (CPU well past the start-up's), with seconds of it still to go.
      await waitFor(async () => cpuTicks(child.pid!) > 40, 20_000, 10);
      child.kill('SIGINT');
      const result = await done;
      expect(result).toMatchObject({ code: null, signal: 'SIGINT', stdout: '' });
    } finally {
      await rm(corpus, { recursive: true, force: true });
    }
  });

  it('during `rewind status` waiting on a ledger that never answers: ended by the signal at once', async () => {
    // A "PostgreSQL" that accepts the connection and never says a word: status waits on it.
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const root = await mkdtemp(join(tmpdir(), 'rewind-silent-ledger-'));
    try {
      const configPath = join(root, 'rewind.yaml');
      await writeFile(configPath, sampleConfigYaml({ root, env: ENV, port: await freePort(), appName: 'silent', ledger: `postgres://rewind@127.0.0.1:${port}/rewind` }));
      const child = spawn(process.execPath, [CLI, 'status', ENV, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, 20_000);
      await waitFor(async () => sockets.length > 0, 20_000, 10);
      child.kill('SIGINT');
      const result = await done;
      expect(result).toMatchObject({ code: null, signal: 'SIGINT', stdout: '' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(root, { recursive: true, force: true });
    }
  });
});

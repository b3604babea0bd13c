import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
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
 * Issue 12, item 8: Ctrl-C and SIGTERM, against the built CLI and real PM2 running two cluster
 * workers (so "two versions serving" is something the test can see). The first signal stops the
 * operation at the next step boundary and says where it stands; a second exits at once; either way
 * `rewind resume` finishes it, and never do the workers serve two releases.
 */
describe('Ctrl-C and SIGTERM during an operation (real PM2, two cluster workers)', () => {
  let sandbox: Sandbox;

  async function status(): Promise<StatusJson> {
    const result = await sandbox.cli(['status', ENV, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StatusJson;
  }

  /** PM2's client wrote its reload lock: a reload is in flight. */
  const reloadInFlight = () => waitFor(async () => readFile(join(sandbox.root, 'pm2', 'reload.lock'), 'utf8').then((t) => t.trim() !== '', () => false), 10_000, 2);

  /** Ledger, link and every worker name `version`; nothing is unfinished or locked. */
  async function expectConverged(version: string) {
    const seen = await status();
    expect(seen.agreement).toMatchObject({ agree: true, problems: [] });
    expect(seen.current?.version).toBe(version);
    expect(seen.target.link).toBe(version);
    expect(seen.target.served).toEqual([{ version, processes: 2 }]);
    expect(seen.unfinished).toEqual([]);
    expect(seen.lock).toBeNull();
    expect(await answers(sandbox.port)).toEqual([`200 ${version}`]);
  }

  beforeAll(async () => {
    // The readiness delay holds every health step open for a second: time to signal rewind in it.
    sandbox = await createSandbox({ instances: 2, readinessDelayMs: 1000 });
    // Each worker takes 800 ms to listen: a reload of two is in flight for well over a second.
    for (const version of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) await sandbox.release(version, { fault: { bootDelayMs: 800 } });
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
    await expectConverged('1.0.0');
  });
  afterAll(async () => sandbox?.close());

  it('SIGINT during activate: the reload finishes on every worker, it stops before health, says where, and resume completes it without counting the idle time', async () => {
    const startedAt = Date.now();
    const child = sandbox.spawnCli(['deploy', ENV, '1.1.0', '--json']);
    const done = collect(child);
    const operation = await whenRunning(sandbox, 'deploy', 'activate');
    await reloadInFlight();
    child.kill('SIGINT');
    const result = await done;
    const stoppedAt = Date.now();

    expect(result.stderr).toContain(`SIGINT: stopping after the step in flight (activate of deploy 1.0.0 → 1.1.0 on ${ENV}), which is left to finish`);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('REWIND_E_INTERRUPTED');
    expect(result.stderr).toMatch(/stopped on SIGINT after activate, before health/);
    expect(result.stderr).toContain('the ledger records 1.1.0, the link points at 1.1.0, serving: 1.1.0 (2 processes)');
    expect(result.stderr).toContain(`rewind resume ${ENV}`);
    expect(events(result).find((e) => e.event === 'operation_interrupted')).toMatchObject({ signal: 'SIGINT', after: 'activate', next: 'health', link: '1.1.0', served: [{ version: '1.1.0', processes: 2 }] });

    // The operation is unfinished and resumable; the step in flight finished; nothing holds the lock.
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('running');
    const steps = await sandbox.ledger.listSteps(operation.id);
    expect(steps.find((s) => s.stepId === 'activate')).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(steps.find((s) => s.stepId === 'health')).toBeUndefined();
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();

    // One release on every worker, the one the link names.
    const seen = await status();
    expect(seen.target).toEqual({ link: '1.1.0', served: [{ version: '1.1.0', processes: 2 }] });
    expect(seen.unfinished).toEqual([{ id: operation.id, kind: 'deploy', from: '1.0.0', to: '1.1.0' }]);
    expect(await answers(sandbox.port)).toEqual(['200 1.1.0']);
    const human = await sandbox.cli(['status', ENV]);
    expect(human.stdout).toContain(`unfinished      deploy 1.0.0 → 1.1.0 (${operation.id}): run \`rewind resume ${ENV}\``);

    // Idle, then resume: the reported duration is the time at work, not the time it lay interrupted.
    await sleep(3000);
    const resumeStartedAt = Date.now();
    const resumed = await sandbox.cli(['resume', ENV, '--json']);
    const resumedAt = Date.now();
    expect(resumed.code, resumed.stderr).toBe(0);
    const complete = events(resumed).find((e) => e.event === 'deploy_complete');
    expect(complete).toMatchObject({ success: true, operationId: operation.id });
    const idle = resumeStartedAt - stoppedAt;
    expect(complete!.durationMs as number).toBeLessThanOrEqual(resumedAt - startedAt - idle);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('good');
    await expectConverged('1.1.0');
  });

  it('SIGTERM during health: the probe completes, it stops before mark-good with the new release live, and resume marks it good', async () => {
    const child = sandbox.spawnCli(['deploy', ENV, '1.2.0']);
    const done = collect(child);
    const operation = await whenRunning(sandbox, 'deploy', 'health');
    child.kill('SIGTERM');
    const result = await done;

    expect(result.stderr).toContain(`SIGTERM: stopping after the step in flight (health of deploy 1.1.0 → 1.2.0 on ${ENV})`);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('REWIND_E_INTERRUPTED');
    expect(result.stderr).toMatch(/stopped on SIGTERM after health, before mark-good/);
    expect(result.stderr).toContain('the ledger records 1.2.0, the link points at 1.2.0, serving: 1.2.0 (2 processes)');
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('running');
    const steps = await sandbox.ledger.listSteps(operation.id);
    expect(steps.find((s) => s.stepId === 'health')).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(steps.find((s) => s.stepId === 'mark-good')).toBeUndefined();
    // Live, not judged good: the interrupted deploy never claimed more than it checked.
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.state).toBe('live');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
    const seen = await status();
    expect(seen.target).toEqual({ link: '1.2.0', served: [{ version: '1.2.0', processes: 2 }] });
    expect(seen.agreement.agree).toBe(true);
    expect(seen.unfinished.map((u) => u.id)).toEqual([operation.id]);
    expect(await answers(sandbox.port)).toEqual(['200 1.2.0']);

    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.state).toBe('good');
    await expectConverged('1.2.0');
  });

  it('SIGINT during a preflight step: nothing changed, so the operation is closed and nothing is left to resume', async () => {
    const child = sandbox.spawnCli(['deploy', ENV, '1.3.0', '--json']);
    const done = collect(child);
    const operation = await whenRunning(sandbox, 'deploy', 'baseline-health');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/stopped on SIGINT after baseline-health, before \S+, before anything changed: the ledger records 1\.2\.0/);
    expect(result.stderr).toContain('Nothing is unfinished; run the command again');
    expect(events(result).find((e) => e.event === 'operation_interrupted')).toMatchObject({ closed: true });
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('failed');
    expect((await sandbox.ledger.getRelease(ENV, '1.3.0'))?.state).toBe('registered');
    expect(await sandbox.ledger.findRunningOperations(ENV)).toEqual([]);
    // No resume needed: the same deploy plans again at once.
    expect((await sandbox.cli(['deploy', ENV, '1.3.0', '--dry-run'])).code).toBe(0);
    await expectConverged('1.2.0');
  });

  it('a second SIGINT exits at once with the step in flight journaled as running, and resume converges', async () => {
    const child = sandbox.spawnCli(['deploy', ENV, '1.3.0']);
    const done = collect(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const operation = await whenRunning(sandbox, 'deploy', 'activate');
    await reloadInFlight();
    child.kill('SIGINT');
    await waitFor(async () => stderr.includes('SIGINT: stopping after the step in flight'), 10_000, 5);
    child.kill('SIGINT');
    const result = await done;

    expect(result.code, result.stderr).toBe(130);
    // It says what it cut short and what to run, since it cannot wait to look at what serves.
    expect(result.stderr).toContain(`SIGINT again: exiting now. Step activate of deploy 1.2.0 → 1.3.0 on ${ENV} (${operation.id}) is cut short and may be half-done; the journal records it as running.`);
    expect(result.stderr).toContain(`\`rewind resume ${ENV}\` runs activate again and continues`);
    // It left at once: the activation it was waiting for was still in flight, and the journal says so.
    expect(result.stderr).not.toContain('REWIND_E_INTERRUPTED');
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('running');
    expect((await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'activate')).toMatchObject({ state: 'running', attempt: 1 });
    const seen = await status();
    expect(seen.unfinished.map((u) => u.id)).toEqual([operation.id]);
    // What serves may be cut in two here; repair leaves that to the resume of the unfinished operation.
    const repair = await sandbox.cli(['repair', ENV]);
    expect(repair.code, repair.stderr).toBe(5);
    expect(repair.stderr).toContain('REWIND_E_OPERATION_INTERRUPTED');

    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'activate')).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    expect((await sandbox.ledger.getRelease(ENV, '1.3.0'))?.state).toBe('good');
    await expectConverged('1.3.0');
  });
});

/**
 * A terminal's Ctrl-C goes to the whole foreground process group. rewind's children run in their own
 * session, so the step in flight (here the `command` runtime's reload, a user's service manager)
 * finishes its work and the operation stops at the next step boundary.
 */
describe('Ctrl-C to the process group while a child of rewind runs (command runtime)', () => {
  let sandbox: Sandbox;
  let pidfile: string;

  beforeAll(async () => {
    const argv = (action: string, root: string, port: number) => JSON.stringify([process.execPath, CTL, action, join(root, 'app.pid'), '{current_dir}', String(port)]);
    sandbox = await createSandbox({
      runtimeYaml: (root, port) => `        type: command
        start: ${argv('start', root, port)}
        reload: ${argv('reload', root, port)}
        stop: ${argv('stop', root, port)}
        status: ${argv('status', root, port)}
        timeoutMs: 20000`,
    });
    pidfile = join(sandbox.root, 'app.pid');
    await sandbox.release('2.0.0');
    // The reload stops the app and waits until the new one answers: a second and a half.
    await sandbox.release('2.1.0', { fault: { bootDelayMs: 1500 } });
    expect((await deploy(sandbox.services, ENV, '2.0.0')).ok).toBe(true);
  });
  afterAll(async () => {
    if (sandbox) spawnSync(process.execPath, [CTL, 'stop', pidfile, sandbox.root, String(sandbox.port)]);
    await sandbox?.close();
  });

  it('the reload child is not interrupted; rewind stops after activate and resume finishes', async () => {
    const child = sandbox.spawnCli(['deploy', ENV, '2.1.0'], { detached: true });
    const done = collect(child);
    const operation = await whenRunning(sandbox, 'deploy', 'activate');
    const reload = await waitFor(async () => childrenOf(child.pid!).find((c) => c.argv.includes(CTL) && c.argv.includes('reload')), 10_000, 5);
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-child.pid!, 'SIGINT');
    const result = await done;

    expect(result.stderr).toContain('SIGINT: stopping after the step in flight');
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/REWIND_E_INTERRUPTED: deploy 2\.0\.0 → 2\.1\.0 stopped on SIGINT after activate, before health/);
    expect(result.stderr).toContain('the link points at 2.1.0, serving: unknown (the runtime cannot tell)');
    // The reload ran to its end and exited 0: it stopped 2.0.0 and waited until 2.1.0 answered.
    expect(existsSync(`/proc/${reload.pid}`)).toBe(false);
    const activate = (await sandbox.ledger.listSteps(operation.id)).find((s) => s.stepId === 'activate');
    expect(activate).toMatchObject({ state: 'succeeded', attempt: 1, detail: { action: 'reload', exitCode: 0 } });
    expect(await sandbox.served()).toEqual({ status: 200, version: '2.1.0' });
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('running');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();

    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(operation.id))?.state).toBe('succeeded');
    expect((await sandbox.ledger.getRelease(ENV, '2.1.0'))?.state).toBe('good');
    expect(await sandbox.served()).toEqual({ status: 200, version: '2.1.0' });
  });
});

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

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/rewind-cli.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import { runCli } from './support/sandbox.js';

// Live progress through the real CLI: a health check that fails its first probes reports each
// retried attempt while it runs (step_progress), on --json stdout and on the human view (with
// colour on a terminal only), and never in the ledger's audit table or the log file.

const ENV = 'staging';
let root: string;
let server: Server;
let port: number;
/** Probes still to answer 500 before the app is "up". */
let failing = 0;

function configYaml(options: { readinessDelayMs?: number } = {}): string {
  return `version: 1
ledger: ${join(root, 'rewind.db')}
log:
  file: ${join(root, 'rewind-events.log')}
environments:
  ${ENV}:
    target:
      type: releases
      path: ${join(root, 'srv')}
      runtime:
        type: command
        start: ["true"]
        reload: ["true"]
    health:
      url: http://127.0.0.1:${port}/health
      expectStatus: 200
      retries: 3
      backoffMs: 50
      maxBackoffMs: 50
      readinessDelayMs: ${options.readinessDelayMs ?? 0}
    deploy:
      minFreeMb: 1
`;
}

const config = () => join(root, 'rewind.yaml');
const cli = (args: string[], env?: NodeJS.ProcessEnv) => runCli([...args, '--config', config()], 60_000, env);

async function release(version: string): Promise<void> {
  const dir = join(root, 'artifacts', version);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'app.txt'), `release ${version}\n`);
  const registered = await cli(['release', 'register', ENV, version, '--artifact', dir, '--ci', 'passed']);
  expect(registered.code, registered.stderr).toBe(0);
}

/** The CLI in this process, its stdout a fake terminal (or a pipe). */
async function inProcess(argv: string[], options: { tty: boolean; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const out = Object.assign(new Writable({ write: (chunk, _enc, done) => ((stdout += String(chunk)), done()) }), { isTTY: options.tty, columns: 200 });
  const err = Object.assign(new Writable({ write: (_chunk, _enc, done) => done() }), { isTTY: false });
  const code = await main([...argv, '--config', config()], { stdout: out, stderr: err, env: { ...process.env, NO_COLOR: undefined, ...options.env } });
  return { code, stdout };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rewind-progress-'));
  server = createServer((_request, response) => {
    const status = failing > 0 ? (failing--, 500) : 200;
    response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    response.end(JSON.stringify({ status: status === 200 ? 'ok' : 'failing' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  await writeFile(config(), configYaml());
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('live progress of a running step', () => {
  it('--json streams step_progress for each retried health attempt, inside the step; the ledger and the log file keep only the outcome', async () => {
    await release('1.0.0');
    failing = 2;
    const result = await cli(['deploy', ENV, '1.0.0', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const healthStart = events.findIndex((e) => e.event === 'step_start' && e.step === 'health');
    const healthEnd = events.findIndex((e) => e.event === 'step_complete' && e.step === 'health');
    const progress = events.map((e, index) => ({ e, index })).filter(({ e }) => e.event === 'step_progress');
    expect(progress.map(({ e }) => e)).toEqual([
      expect.objectContaining({ env: ENV, step: 'health', title: 'health of 1.0.0', message: 'attempt 1/4: status 500, expected 200; next in 50 ms', current: 1, total: 4, time: expect.any(String) }),
      expect.objectContaining({ step: 'health', message: 'attempt 2/4: status 500, expected 200; next in 50 ms', current: 2, total: 4 }),
    ]);
    expect(progress.every(({ index }) => index > healthStart && index < healthEnd)).toBe(true);
    expect(events[healthEnd]).toMatchObject({ status: 'succeeded' });

    // The record: the step's outcome and journal say how it went; no progress rows or lines.
    const ledger = await openLedger(join(root, 'rewind.db'));
    try {
      const audit = await ledger.listEvents(ENV, { limit: 1000 });
      expect(audit.map((e) => e.event)).toContain('step_complete');
      expect(audit.map((e) => e.event)).not.toContain('step_progress');
      const operation = (await ledger.listOperations(ENV, { limit: 1 }))[0]!;
      const health = (await ledger.listSteps(operation.id)).find((s) => s.stepId === 'health');
      expect(health?.detail).toMatchObject({ attempts: 3 });
    } finally {
      await ledger.close();
    }
    const log = readFileSync(join(root, 'rewind-events.log'), 'utf8');
    expect(log).toContain('"event":"step_complete"');
    expect(log).not.toContain('step_progress');
  });

  it('on a terminal the running line shows the attempts, in colour; NO_COLOR, --no-color and a pipe get none', async () => {
    await release('1.1.0');
    // --no-baseline: the failing probe must land in the new release's health step, not the baseline's.
    failing = 1;
    const tty = await inProcess(['deploy', ENV, '1.1.0', '--no-baseline'], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toContain('  … health of 1.1.0  attempt 1/4: status 500, expected 200; next in 50 ms');
    expect(tty.stdout).toContain('\x1b[32m✓\x1b[39m');
    expect(tty.stdout).toContain('\x1b[32m✓ deploy 1.1.0 succeeded\x1b[39m');
    expect(tty.stdout).toMatch(/\x1b\[2m +\d+ ms\x1b\[22m {2}health of 1\.1\.0/);

    const colourCode = /\x1b\[(?:3\d|2|22)m/;
    await release('1.2.0');
    failing = 1;
    const noColorEnv = await inProcess(['deploy', ENV, '1.2.0', '--no-baseline'], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColorEnv.code).toBe(0);
    expect(noColorEnv.stdout).toContain('attempt 1/4: status 500');
    expect(noColorEnv.stdout).not.toMatch(colourCode);

    await release('1.3.0');
    const noColorFlag = await inProcess(['deploy', ENV, '1.3.0', '--no-baseline', '--no-color'], { tty: true });
    expect(noColorFlag.code).toBe(0);
    expect(noColorFlag.stdout).toContain('✓ deploy 1.3.0 succeeded');
    expect(noColorFlag.stdout).not.toMatch(colourCode);

    await release('1.4.0');
    const pipe = await inProcess(['deploy', ENV, '1.4.0', '--no-baseline'], { tty: false });
    expect(pipe.code).toBe(0);
    expect(pipe.stdout).toContain('✓ deploy 1.4.0 succeeded');
    expect(pipe.stdout).not.toMatch(colourCode);
    // A pipe gets whole lines only: no carriage returns rewriting a line.
    expect(pipe.stdout).not.toContain('\r');
  });

  it('in a pipe, a step silent for 5 s prints a "still running" line with what it waits for', async () => {
    await writeFile(config(), configYaml({ readinessDelayMs: 6500 }));
    try {
      await release('1.5.0');
      const result = await cli(['deploy', ENV, '1.5.0', '--no-baseline']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/\n {4}… still running: health of 1\.5\.0 \([56] s\) — waiting 6500 ms before the first probe \(readinessDelayMs\)\n/);
      expect(result.stdout).toMatch(/✓ +\d+ ms {2}health of 1\.5\.0\n/);
    } finally {
      await writeFile(config(), configYaml());
    }
  });
});

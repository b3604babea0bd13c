import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPm2 } from '../src/adapters/runtimes/pm2/pm2-loader.js';
import { environmentConfig } from '../src/config/load-config.js';
import { deploy } from '../src/core/operations/deploy.js';
import { createSandbox, ENV, type CliResult, type Sandbox } from './support/sandbox.js';
import Database from 'better-sqlite3';

/** One /health request on a fresh connection (PM2's cluster master hands connections round-robin to the workers). */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, headers: { connection: 'close' }, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${(JSON.parse(body) as { version?: string }).version}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

async function answers(port: number, count = 30): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await probe(port));
  return [...seen].sort();
}

interface StatusJson {
  current: { version: string; state: string } | null;
  target: { link: string | null; served: { version: string | null; processes: number }[] | null };
  agreement: { agree: boolean; problems: string[]; fix: string | null };
  unfinished: unknown[];
  lock: unknown;
}

/**
 * Issue 12, item 1: the ledger, the `current` link and what really serves can never disagree
 * silently. Each disagreement is built by hand the way it happens (a ledger row written by
 * someone else, `ln -sfn`, `pm2 stop`, `pm2 reload <id>`), against the built CLI and real PM2 with
 * two cluster workers: `status` shows it (human and JSON), a deploy refuses to plan from it,
 * `repair --dry-run` prints the plan and changes nothing, and `repair` fixes it, journaled and audited.
 */
describe('rewind status and rewind repair, disagreements built by hand (real PM2, two cluster workers)', () => {
  let sandbox: Sandbox;
  let ledgerRows: () => Record<string, unknown[]>;
  const link = () => readlinkSync(join(sandbox.root, 'srv', 'current'));

  /** PM2 runs only this app in the sandbox's PM2_HOME: its processes are the daemon's children. */
  function workerPids(): number[] {
    const daemon = Number(readFileSync(join(sandbox.root, 'pm2', 'pm2.pid'), 'utf8'));
    const pids: number[] = [];
    for (const task of existsSync(`/proc/${daemon}/task`) ? spawnSync('ls', [`/proc/${daemon}/task`]).stdout.toString().split(/\s+/).filter(Boolean) : []) {
      pids.push(...readFileSync(`/proc/${daemon}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    }
    // Only the app's workers (they run from a release under the sandbox): the daemon also forks
    // short-lived helpers of its own now and then, which a snapshot can catch.
    return pids.filter((pid) => readlinkOr(`/proc/${pid}/cwd`).startsWith(`${sandbox.root}/`)).sort((a, b) => a - b);
  }

  function readlinkOr(path: string): string {
    try {
      return readlinkSync(path);
    } catch {
      return '';
    }
  }

  /** PM2's own CLI against the sandbox's daemon, as a person on the host would run it. */
  function pm2(...args: string[]) {
    const result = spawnSync(process.execPath, [loadPm2().bin, ...args], { env: { ...process.env, PM2_HOME: join(sandbox.root, 'pm2') }, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
  }

  async function status(): Promise<StatusJson> {
    const result = await sandbox.cli(['status', ENV, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StatusJson;
  }

  async function humanStatus(): Promise<string> {
    const result = await sandbox.cli(['status', ENV]);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  }

  /** `repair --dry-run`: prints what it found, the decision and the plan; ledger, link and processes stay as they were. */
  async function dryRun(): Promise<CliResult> {
    const before = { rows: ledgerRows(), link: link(), pids: workerPids() };
    const result = await sandbox.cli(['repair', ENV, '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('(dry run: nothing was changed)');
    expect({ rows: ledgerRows(), link: link(), pids: workerPids() }).toEqual(before);
    return result;
  }

  /** `repair`: exit 0, one repair operation journaled (steps) and audited (events), and everything agrees on `version`. */
  async function repairTo(version: string, action: 'record' | 'relink' | 'activate') {
    const before = (await sandbox.ledger.listOperations(ENV, { limit: 100 })).length;
    const result = await sandbox.cli(['repair', ENV, '--reason', 'hand-made disagreement', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const operations = await sandbox.ledger.listOperations(ENV, { limit: 100 });
    expect(operations).toHaveLength(before + 1);
    const operation = operations[0]!;
    expect(operation).toMatchObject({ kind: 'repair', toVersion: version, state: 'succeeded', reason: 'hand-made disagreement' });
    const steps = await sandbox.ledger.listSteps(operation.id);
    expect(steps.map((s) => [s.stepId, s.state])).toEqual([
      ['reconcile', 'succeeded'],
      ['record-current', 'succeeded'],
      ['health', 'succeeded'],
    ]);
    expect(steps[0]!.detail).toMatchObject({ action });
    const audit = (await sandbox.ledger.listEvents(ENV, { operationIds: [operation.id] })).map((e) => e.event);
    expect(audit[0]).toBe('repair_start');
    expect(audit.at(-1)).toBe('repair_complete');
    const printed = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(printed.find((e) => e.event === 'repair_complete')).toMatchObject({ success: true, to: version });
    // The JSON-lines log holds the same events.
    const log = readFileSync(sandbox.config.log.file, 'utf8');
    expect(log).toContain(`"event":"repair_start","env":"${ENV}","operationId":"${operation.id}"`);
    expect(log).toContain(`"event":"repair_complete","env":"${ENV}","operationId":"${operation.id}"`);

    const seen = await status();
    expect(seen.agreement).toEqual({ agree: true, problems: [], fix: null });
    expect(seen.current?.version).toBe(version);
    expect(seen.target).toEqual({ link: version, served: [{ version, processes: 2 }] });
    expect(seen.lock).toBeNull();
    expect(seen.unfinished).toEqual([]);
    expect(await answers(sandbox.port)).toEqual([`200 ${version}`]);
    return { operation, result };
  }

  /** A deploy refuses in preflight (exit 6) while they disagree, points at repair, and touches nothing that serves. */
  async function deployRefused() {
    const before = { link: link(), pids: workerPids(), current: (await sandbox.ledger.getEnvironment(ENV))?.currentVersion };
    const refused = await sandbox.cli(['deploy', ENV, '1.2.0']);
    expect(refused.code, refused.stderr).toBe(6);
    expect(refused.stderr).toContain('REWIND_E_PREFLIGHT_FAILED');
    expect(refused.stderr).toContain(`rewind repair ${ENV}`);
    expect({ link: link(), pids: workerPids(), current: (await sandbox.ledger.getEnvironment(ENV))?.currentVersion }).toEqual(before);
    expect((await sandbox.ledger.getRelease(ENV, '1.2.0'))?.state).toBe('registered');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  }

  beforeAll(async () => {
    sandbox = await createSandbox({ instances: 2 });
    ledgerRows = () => {
      const db = new Database(sandbox.config.ledger, { readonly: true, fileMustExist: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
        return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
      } finally {
        db.close();
      }
    };
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await sandbox.release(version);
    expect((await deploy(sandbox.services, ENV, '1.0.0')).ok).toBe(true);
    // 1.1.0 is unpacked next to 1.0.0 (prepared, never activated): something to point the link at by hand.
    const release = (await sandbox.ledger.getRelease(ENV, '1.1.0'))!;
    const target = sandbox.services.createTarget(ENV, environmentConfig(sandbox.config, ENV));
    try {
      expect((await target.prepare({ version: '1.1.0', artifact: release.artifact, digest: release.digest })).status).toBe('succeeded');
    } finally {
      await target.close();
    }
  });
  afterAll(async () => sandbox?.close());

  it('everything agrees: status says so, and repair exits 4 (nothing to do) and writes nothing', async () => {
    const seen = await status();
    expect(seen.agreement).toEqual({ agree: true, problems: [], fix: null });
    expect(seen.target).toEqual({ link: '1.0.0', served: [{ version: '1.0.0', processes: 2 }] });
    const human = await humanStatus();
    expect(human).toContain('served          1.0.0 (2 processes)');
    expect(human).not.toContain('DISAGREEMENT');

    const before = { rows: ledgerRows(), link: link(), pids: workerPids() };
    const result = await sandbox.cli(['repair', ENV]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`REWIND_E_NOTHING_TO_DO: ${ENV} is consistent`);
    expect({ rows: ledgerRows(), link: link(), pids: workerPids() }).toEqual(before);
  });

  it('(a) the ledger says 1.1.0, the link and both workers 1.0.0: shown, deploys refused, repair records 1.0.0 (nothing restarts)', async () => {
    await sandbox.ledger.setCurrentVersion(ENV, '1.1.0', Date.now());
    const problem = 'the ledger records 1.1.0 as current but the link points at 1.0.0';
    const seen = await status();
    expect(seen.agreement).toEqual({ agree: false, problems: [problem], fix: `rewind repair ${ENV}` });
    expect(seen.target).toEqual({ link: '1.0.0', served: [{ version: '1.0.0', processes: 2 }] });
    const human = await humanStatus();
    expect(human).toContain(`DISAGREEMENT    ${problem}`);
    expect(human).toContain(`run \`rewind repair ${ENV}\` to reconcile from what really serves`);

    await deployRefused();
    const plan = await dryRun();
    expect(plan.stdout).toContain(`found: ${problem}`);
    expect(plan.stdout).toContain('every process serves 1.0.0');

    const pids = workerPids();
    await repairTo('1.0.0', 'record');
    expect(workerPids()).toEqual(pids);
  });

  it('(b) the link switched by hand (ln -sfn) to the prepared 1.1.0 while both workers run 1.0.0: repair points it back, nothing restarts', async () => {
    const ln = spawnSync('ln', ['-sfn', 'releases/1.1.0', join(sandbox.root, 'srv', 'current')]);
    expect(ln.status).toBe(0);
    expect(link()).toBe('releases/1.1.0');
    const problems = ['the ledger records 1.0.0 as current but the link points at 1.1.0', '2 of 2 processes serve 1.0.0 while the link points at 1.1.0'];
    const seen = await status();
    expect(seen.agreement).toEqual({ agree: false, problems, fix: `rewind repair ${ENV}` });
    expect(seen.target).toEqual({ link: '1.1.0', served: [{ version: '1.0.0', processes: 2 }] });
    const human = await humanStatus();
    for (const problem of problems) expect(human).toContain(`DISAGREEMENT    ${problem}`);

    await deployRefused();
    const plan = await dryRun();
    expect(plan.stdout).toContain('point the current link at 1.0.0 (it already serves; nothing restarts)');

    const pids = workerPids();
    await repairTo('1.0.0', 'relink');
    expect(workerPids()).toEqual(pids);
    expect(link()).toBe('releases/1.0.0');
  });

  it('(c) the app stopped by hand (pm2 stop): status says nothing serves, repair starts the release the ledger records', async () => {
    pm2('stop', `rw-${sandbox.port}`);
    expect(workerPids()).toEqual([]);
    const problem = 'nothing serves: no process of the app runs (the ledger records 1.0.0)';
    const seen = await status();
    expect(seen.agreement).toEqual({ agree: false, problems: [problem], fix: `rewind repair ${ENV}` });
    expect(seen.target).toEqual({ link: '1.0.0', served: [] });
    const human = await humanStatus();
    expect(human).toContain('served          nothing (no process runs)');
    expect(human).toContain(`DISAGREEMENT    ${problem}`);

    const plan = await dryRun();
    expect(plan.stdout).toContain('nothing serves: 1.0.0, which the ledger names, is started');
    expect(await answers(sandbox.port, 3)).toEqual([expect.stringMatching(/^error /)]);

    await repairTo('1.0.0', 'activate');
  });

  it('(d) two releases serving (the link switched, one worker reloaded by hand): repair activates the link\'s release on both', async () => {
    expect(spawnSync('ln', ['-sfn', 'releases/1.1.0', join(sandbox.root, 'srv', 'current')]).status).toBe(0);
    // `pm2 reload 0` reloads one worker only: it boots from the switched link, the other keeps 1.0.0.
    pm2('reload', '0');
    const problems = ['the ledger records 1.0.0 as current but the link points at 1.1.0', '1 of 2 processes serve 1.0.0 while the link points at 1.1.0'];
    const seen = await status();
    expect(seen.agreement).toEqual({ agree: false, problems, fix: `rewind repair ${ENV}` });
    expect(seen.target).toEqual({ link: '1.1.0', served: [{ version: '1.0.0', processes: 1 }, { version: '1.1.0', processes: 1 }] });
    expect(await answers(sandbox.port)).toEqual(['200 1.0.0', '200 1.1.0']);
    expect((await humanStatus())).toContain('served          1.0.0 (1 process) and 1.1.0 (1 process)');

    await deployRefused();
    const plan = await dryRun();
    expect(plan.stdout).toContain('1.1.0, which the link names, is activated again on all of them');

    await repairTo('1.1.0', 'activate');
    // It was never deployed: it serves now, so it is live (not judged good).
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('live');
  });
});

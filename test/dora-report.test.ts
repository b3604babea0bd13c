import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDora, type DoraReport, type DoraWindow } from '../src/core/report/dora-metrics.js';
import { viewIncident } from '../src/core/incidents/incident-view.js';
import { indexHint, readDoraRows } from '../src/ledger/dora-queries.js';
import type { LedgerTables } from '../src/ledger/ledger-tables.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { IncidentRecord, Ledger, OperationRecord, StepRecord } from '../src/ports/ledger.js';
import { toJson } from '../src/util/iso-times.js';
import { percentile } from '../src/util/percentile.js';
import { generateDoraHistory, loadHistoryPostgres, loadHistorySqlite, type DoraHistory } from './support/dora-history.js';
import { POSTGRES_ADMIN_URL, postgresUrl, providerSelected } from './support/services.js';
import { CLI } from './support/sandbox.js';

// `report dora` end to end: a made-up history of 400 releases (test/support/dora-history.ts) in a
// real SQLite ledger and a real PostgreSQL one, read through the report's query path, must give the
// numbers a naive reading gives — every operation, step, release and incident fetched one by one
// through the Ledger API, the incident timeline by incident-view (the code `incident show` uses).
// Not timed: the benchmark times it at 100,000 releases (npm run bench -- --only dora).

const DAY = 86_400_000;
const NOW = Date.now();
const HISTORY: DoraHistory = generateDoraHistory({ releases: 400, start: NOW - 120 * DAY, end: NOW - 60_000, seed: 5 });
const WINDOW: DoraWindow = { since: NOW - 90 * DAY, until: NOW };
const ENV = 'production';

/** The four keys read the slow, obvious way, by the definitions in docs/dora.md. */
async function naiveDora(ledger: Ledger, env: string, w: DoraWindow) {
  const inWindow = (t: number) => t >= w.since && t < w.until;
  const ops: OperationRecord[] = (await ledger.listOperations(env, { limit: 1_000_000 })).reverse();
  const steps = new Map<string, StepRecord[]>();
  for (const op of ops) steps.set(op.id, await ledger.listSteps(op.id));
  const deploys = ops.filter((o) => o.kind === 'deploy');
  const rollbacks = ops.filter((o) => o.kind === 'rollback');
  const live = (d: OperationRecord) =>
    d.state === 'succeeded' || steps.get(d.id)!.some((s) => (s.kind === 'activate' || s.kind === 'shift-traffic') && s.state === 'succeeded') || rollbacks.some((r) => r.parentId === d.id);

  const succeeded = deploys.filter((d) => inWindow(d.startedAt) && d.state === 'succeeded');
  const leads: number[] = [];
  let fromRegisterTime = 0;
  for (const d of succeeded) {
    if (deploys.some((p) => p.toVersion === d.toVersion && p.state === 'succeeded' && p.startedAt < d.startedAt)) continue;
    const release = (await ledger.getRelease(env, d.toVersion))!;
    if (release.committedAt == null) fromRegisterTime++;
    leads.push(d.finishedAt! - (release.committedAt ?? release.createdAt));
  }

  const liveDeploys = deploys.filter((d) => inWindow(d.startedAt) && d.state !== 'running' && live(d));
  const failed = new Set<string>();
  for (const r of rollbacks.filter((o) => inWindow(o.startedAt))) {
    const target = r.parentId ? deploys.find((d) => d.id === r.parentId) : deploys.filter((d) => d.toVersion === r.fromVersion && d.startedAt < r.startedAt && live(d)).at(-1);
    if (target && liveDeploys.includes(target)) failed.add(target.id);
  }

  const restores: number[] = [];
  let notRestored = 0;
  const count = (downtime: number | null) => (downtime === null ? notRestored++ : restores.push(downtime));
  for (const incident of await ledger.listIncidents({ env, limit: 1_000_000 })) {
    if (inWindow(incident.openedAt)) count((await viewIncident(ledger, incident)).downtimeMs);
  }
  for (const r of rollbacks.filter((o) => inWindow(o.startedAt))) {
    if (await ledger.findIncidentByOperation(r.id)) continue;
    // A rollback without an incident, read as an incident of its own.
    const alone: IncidentRecord = {
      id: 0,
      env,
      status: 'closed',
      severity: 'High',
      openedAt: r.startedAt,
      closedAt: null,
      closedBy: null,
      updatedAt: r.startedAt,
      fields: {},
      rollbacks: [{ operationId: r.id, parentId: r.parentId, trigger: r.parentId ? 'automatic' : 'manual', from: r.fromVersion, to: r.toVersion, succeeded: r.state === 'succeeded', issue: 'x', severity: 'High', rule: 'x', reason: null }],
    };
    count((await viewIncident(ledger, alone)).downtimeMs);
  }
  return {
    deploys: succeeded.length,
    leadSamples: leads.length,
    leadMedian: percentile(leads, 0.5),
    fromRegisterTime,
    cfrDeploys: liveDeploys.length,
    failed: failed.size,
    restoreSamples: restores.length,
    restoreMedian: percentile(restores, 0.5),
    notRestored,
  };
}

function expectMatches(report: DoraReport, naive: Awaited<ReturnType<typeof naiveDora>>) {
  expect(report.deploymentFrequency.deploys).toBe(naive.deploys);
  expect(report.leadTime.samples).toBe(naive.leadSamples);
  expect(report.leadTime.medianMs).toBe(Math.round(naive.leadMedian!));
  expect(report.leadTime.fromRegisterTime).toBe(naive.fromRegisterTime);
  expect(report.changeFailureRate.deploys).toBe(naive.cfrDeploys);
  expect(report.changeFailureRate.failed).toBe(naive.failed);
  expect(report.timeToRestore.samples).toBe(naive.restoreSamples);
  expect(report.timeToRestore.medianMs).toBe(Math.round(naive.restoreMedian!));
  expect(report.timeToRestore.excluded.notRestored).toBe(naive.notRestored);
}

describe('report dora on a SQLite ledger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-dora-'));
  const file = join(dir, 'rewind.db');
  let ledger: Ledger;
  let report: DoraReport;

  beforeAll(async () => {
    // The CLI test below runs `rewind init` here; its starter config names ./rewind.db and production.
    await run(['init'], dir);
    ledger = await openLedger(file);
    await loadHistorySqlite(file, HISTORY);
    report = computeDora(ENV, await ledger.readDoraRows(ENV, WINDOW), WINDOW);
  });
  afterAll(async () => {
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the history exercises every rule the report has', () => {
    const incidentSizes = HISTORY.incidentOperations.reduce((m, l) => m.set(l.incident_id, (m.get(l.incident_id) ?? 0) + 1), new Map<number, number>());
    expect([...incidentSizes.values()].some((n) => n > 1)).toBe(true); // an incident joined by two rollbacks
    expect(report.changeFailureRate.failed).toBeGreaterThan(10);
    expect(report.changeFailureRate.excluded.neverLive).toBeGreaterThan(3);
    expect(report.changeFailureRate.failedUnrolledBack).toBeGreaterThan(0);
    expect(report.changeFailureRate.withIncident).toBeGreaterThan(0);
    expect(report.changeFailureRate.withIncident).toBeLessThan(report.changeFailureRate.failed);
    expect(report.leadTime.excluded.redeploys).toBeGreaterThan(0);
    expect(report.leadTime.fromRegisterTime).toBeGreaterThan(0);
    expect(report.timeToRestore.excluded.notRestored).toBeGreaterThan(0);
    expect(report.timeToRestore.fromIncidents).toBeGreaterThan(0);
    expect(report.timeToRestore.fromRollbacks).toBeGreaterThan(0);
    expect(report.timeToRestore.unverified).toBeGreaterThan(0);
    expect(report.deploymentFrequency.excluded.running).toBe(1);
  });

  it('gives the naive reading\'s numbers, and counts nothing of the other environment', async () => {
    expectMatches(report, await naiveDora(ledger, ENV, WINDOW));
    const staging = computeDora('staging', await ledger.readDoraRows('staging', WINDOW), WINDOW);
    expect(staging.deploymentFrequency.deploys).toBe(HISTORY.operations.filter((o) => o.env === 'staging' && o.started_at >= WINDOW.since).length);
    expect(staging.changeFailureRate.failed).toBe(0);
  });

  it('reads SQLite from covering indexes only: no operation, step or release row is read (their plans and facts are KBs)', async () => {
    const queries: CompiledQuery[] = [];
    const database = new Database(file, { readonly: true });
    const db = new Kysely<LedgerTables>({ dialect: new SqliteDialect({ database }), log: (event) => void queries.push(event.query) });
    try {
      const rows = await readDoraRows(db, ENV, WINDOW, indexHint('sqlite'));
      expect(computeDora(ENV, rows, WINDOW)).toEqual(report);
      const plans = queries.map((q) => database.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])).map((r) => (r as { detail: string }).detail));
      const reads = plans.flat().filter((d) => /^(SEARCH|SCAN) (o|s|r|p|m)\b/.test(d));
      expect(reads.length).toBeGreaterThan(10);
      // Every read of operations (o, p, m), steps (s) and releases (r) is an index-only one; a
      // correlated EXISTS seeks a version's deploys, never scans the window again per row.
      expect(reads.filter((d) => !d.includes('USING COVERING INDEX'))).toEqual([]);
      expect(reads.filter((d) => /^SEARCH p /.test(d) && !d.includes('operations_env_version (env=? AND to_version=? AND kind=? AND state=?'))).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('a window that starts mid-history leaves out what came before it, and still agrees', async () => {
    const late = { since: NOW - 20 * DAY, until: NOW };
    const lateReport = computeDora(ENV, await ledger.readDoraRows(ENV, late), late);
    expect(lateReport.deploymentFrequency.deploys).toBeLessThan(report.deploymentFrequency.deploys);
    expectMatches(lateReport, await naiveDora(ledger, ENV, late));
  });

  it('an environment with no history: zero deploys, no rate, no medians', async () => {
    const empty = computeDora('qa', await ledger.readDoraRows('qa', WINDOW), WINDOW);
    expect(empty.deploymentFrequency).toMatchObject({ deploys: 0, bucket: 'fewer' });
    expect(empty.changeFailureRate.rate).toBeNull();
    expect(empty.leadTime.medianMs).toBeNull();
    expect(empty.timeToRestore.medianMs).toBeNull();
  });

  describe('the CLI', () => {
    const since = new Date(WINDOW.since).toISOString();

    it('--json: the same report, stable names, numbers as numbers, times ISO', async () => {
      const result = await run(['report', 'dora', ENV, '--since', since, '--json'], dir);
      expect(result.code, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout) as DoraReport & { window: { sinceAt: string; untilAt: string } };
      expect(json.window.sinceAt).toBe(since);
      expect(typeof json.changeFailureRate.rate).toBe('number');
      expect(typeof json.leadTime.medianMs).toBe('number');
      // The CLI's window ends when it ran: the same rows, computed for that window, give its JSON.
      const until = Date.parse(json.window.untilAt);
      expect(until).toBeGreaterThanOrEqual(NOW);
      expect(json).toEqual(JSON.parse(toJson(computeDora(ENV, await ledger.readDoraRows(ENV, { since: WINDOW.since, until }), { since: WINDOW.since, until }))));
      expect(json.changeFailureRate).toEqual(report.changeFailureRate);
      expect(json.leadTime).toEqual(report.leadTime);
      expect(json.timeToRestore).toEqual(report.timeToRestore);
    });

    it('text: a table an operator reads, with what was left out and why', async () => {
      const result = await run(['report', 'dora', '--since', since], dir);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('note: environment production');
      const text = result.stdout;
      for (const metric of ['deployment frequency', 'lead time for changes', 'change failure rate', 'time to restore']) expect(text).toMatch(new RegExp(`^${metric}\\s{2,}`, 'm'));
      expect(text).toContain(report.deploymentFrequency.bucket);
      expect(text).toContain(`(${report.changeFailureRate.failed} of ${report.changeFailureRate.deploys})`);
      expect(text).toMatch(/deploys? that never went live/);
      expect(text).toMatch(/measured from the register time: no commit time was recorded/);
    });

    it.each([['abc'], ['0d'], ['2999-01-01'], ['90']])('--since %s is REWIND_E_USAGE naming --since', async (bad) => {
      const result = await run(['report', 'dora', ENV, '--since', bad, '--json'], dir);
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'REWIND_E_USAGE', argument: '--since' } });
      expect(result.stderr).toContain('--since');
    });

    it('an unknown environment or report is a coded error', async () => {
      const env = await run(['report', 'dora', 'prod', '--json'], dir);
      expect(env.code).toBe(2);
      expect(JSON.parse(env.stdout)).toMatchObject({ error: { code: 'REWIND_E_UNKNOWN_ENV' } });
      const which = await run(['report', 'dorra'], dir);
      expect(which.code).toBe(2);
      expect(which.stderr).toMatch(/REWIND_E_USAGE.*dora/);
    });
  });
});

describe('release register --commit-time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-dora-register-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the commit time; a bad one is REWIND_E_USAGE and records nothing; without it, none is recorded', async () => {
    await run(['init'], dir);
    const artifact = join(dir, 'build');
    mkdirSync(artifact);
    writeFileSync(join(artifact, 'server.js'), 'console.log(1)\n');
    const bad = await run(['release', 'register', ENV, '1.0.0', '--artifact', artifact, '--commit-time', '2026-13-01T00:00:00Z', '--json'], dir);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'REWIND_E_USAGE', argument: '--commit-time' } });
    const none = await run(['release', 'list', ENV, '--json'], dir);
    expect(JSON.parse(none.stdout)).toEqual([]);

    const good = await run(['release', 'register', ENV, '1.0.0', '--artifact', artifact, '--commit', 'abc1234', '--commit-time', '2026-09-01T14:00:00+02:00', '--json'], dir);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ created: true, release: { commit: 'abc1234', committedAt: '2026-09-01T12:00:00.000Z' } });
    const plain = await run(['release', 'register', ENV, '1.0.1', '--artifact', artifact, '--json'], dir);
    expect(JSON.parse(plain.stdout)).toMatchObject({ release: { committedAt: null } });
  });
});

describe.skipIf(!providerSelected('postgres'))('report dora on a PostgreSQL ledger', () => {
  const database = `rewind_dora_${randomBytes(6).toString('hex')}`;
  const admin = async (query: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(query);
    } finally {
      await client.end();
    }
  };
  let ledger: Ledger | undefined;
  afterAll(async () => {
    await ledger?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('gives the same report as SQLite, and the naive reading\'s numbers', async () => {
    await admin(`CREATE DATABASE ${database}`);
    ledger = await openLedger(postgresUrl(database));
    await loadHistoryPostgres(postgresUrl(database), HISTORY);
    const report = computeDora(ENV, await ledger.readDoraRows(ENV, WINDOW), WINDOW);
    expectMatches(report, await naiveDora(ledger, ENV, WINDOW));
    const sqliteDir = mkdtempSync(join(tmpdir(), 'rewind-dora-pg-'));
    try {
      const sqlite = await openLedger(join(sqliteDir, 'l.db'));
      await loadHistorySqlite(join(sqliteDir, 'l.db'), HISTORY);
      expect(report).toEqual(computeDora(ENV, await sqlite.readDoraRows(ENV, WINDOW), WINDOW));
      await sqlite.close();
    } finally {
      rmSync(sqliteDir, { recursive: true, force: true });
    }
  });
});

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

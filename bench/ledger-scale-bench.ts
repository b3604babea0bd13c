import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { CLI_MAIN, ms, onCleanup, run, stats, table, verdict, type Stats } from './bench-util.js';
import { MAIN_ENV, generateLedger, type Chunk, type EnvironmentRow, type GeneratedCounts, type GeneratedLedger, type ReleaseRow } from './ledger-data.js';

export const QUERY_TARGET_MS = 50;
const DEFAULT_PG_ADMIN = 'postgres://root@127.0.0.1:5432/postgres';

type Backend = 'sqlite' | 'postgres';

export interface QueryRow {
  name: string;
  stats: Stats;
  /** null: measured for information, no target (e.g. the CLI, whose start-up alone exceeds 50 ms). */
  targetMs: number | null;
  met: boolean | null;
}

export interface BackendResult {
  backend: Backend;
  location: string;
  load: { ms: number; rowsPerSecond: number; sizeMiB: number | null; notes: string };
  queries: QueryRow[];
  cli: QueryRow[];
  explain: Record<string, string[]>;
}

export interface LedgerScaleResult {
  measuredAt: string;
  runs: number;
  counts: GeneratedCounts;
  backends: BackendResult[];
  skipped: { backend: Backend; reason: string }[];
  target: { what: string; met: boolean };
}

// ---------------------------------------------------------------------------------------------
// Bulk loading. The schema comes from openLedger (its migrations); rows go in through the raw
// drivers, in big transactions (SQLite: prepared statements; PostgreSQL: INSERT … SELECT unnest()).

const OPERATION_COLUMNS = ['id', 'env', 'kind', 'from_version', 'to_version', 'state', 'plan', 'actor', 'parent_id', 'reason', 'error', 'started_at', 'finished_at'] as const;
const STEP_COLUMNS = ['operation_id', 'idx', 'step_id', 'kind', 'state', 'attempt', 'detail', 'started_at', 'finished_at'] as const;
const EVENT_COLUMNS = ['at', 'env', 'operation_id', 'event', 'actor', 'from_version', 'to_version', 'data'] as const;
const RELEASE_COLUMNS = ['env', 'version', 'seq', 'artifact', 'digest', 'commit_sha', 'ci', 'state', 'good_seq', 'created_at', 'updated_at'] as const;
const ENVIRONMENT_COLUMNS = ['name', 'current_version', 'updated_at'] as const;

const PG_TYPES: Record<string, string> = {
  idx: 'integer',
  attempt: 'integer',
  seq: 'integer',
  good_seq: 'integer',
  started_at: 'bigint',
  finished_at: 'bigint',
  at: 'bigint',
  created_at: 'bigint',
  updated_at: 'bigint',
};

interface Loader {
  chunk(chunk: Chunk): Promise<void>;
  finish(releases: ReleaseRow[], environments: EnvironmentRow[]): Promise<void>;
}

function sqliteLoader(file: string): Loader {
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const insert = (table: string, columns: readonly string[]) => db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  const operation = insert('operations', OPERATION_COLUMNS);
  const step = insert('steps', STEP_COLUMNS);
  const event = insert('events', EVENT_COLUMNS);
  const release = insert('releases', RELEASE_COLUMNS);
  const environment = db.prepare('INSERT OR REPLACE INTO environments (name, current_version, updated_at) VALUES (@name, @current_version, @updated_at)');
  const chunk = db.transaction((c: Chunk) => {
    for (const row of c.operations) operation.run(row);
    for (const row of c.steps) step.run(row);
    for (const row of c.events) event.run(row);
  });
  const final = db.transaction((releases: ReleaseRow[], environments: EnvironmentRow[]) => {
    for (const row of releases) release.run(row);
    for (const row of environments) environment.run(row);
  });
  return {
    chunk: async (c) => chunk(c),
    finish: async (releases, environments) => {
      final(releases, environments);
      // Fold the WAL into the main file, as a long-lived ledger would have; rewind never runs ANALYZE, so neither do we.
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

async function postgresLoader(url: string): Promise<Loader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const bulk = async (table: string, columns: readonly string[], rows: Record<string, unknown>[]) => {
    const batch = 10_000;
    for (let start = 0; start < rows.length; start += batch) {
      const slice = rows.slice(start, start + batch);
      const arrays = columns.map((c) => slice.map((r) => r[c] ?? null));
      const casts = columns.map((c, i) => `$${i + 1}::${PG_TYPES[c] ?? 'text'}[]`);
      await client.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${casts.join(', ')})`, arrays);
    }
  };
  return {
    chunk: async (c) => {
      await client.query('BEGIN');
      await bulk('operations', OPERATION_COLUMNS, c.operations as unknown as Record<string, unknown>[]);
      await bulk('steps', STEP_COLUMNS, c.steps as unknown as Record<string, unknown>[]);
      await bulk('events', EVENT_COLUMNS, c.events as unknown as Record<string, unknown>[]);
      await client.query('COMMIT');
    },
    finish: async (releases, environments) => {
      await client.query('BEGIN');
      await bulk('releases', RELEASE_COLUMNS, releases as unknown as Record<string, unknown>[]);
      await client.query('DELETE FROM environments');
      await bulk('environments', ENVIRONMENT_COLUMNS, environments as unknown as Record<string, unknown>[]);
      await client.query('COMMIT');
      // Autovacuum would analyze these tables within a minute or so; do it now so every run sees the steady state.
      await client.query('ANALYZE');
      await client.end();
    },
  };
}

/** Creates the schema through openLedger, then streams the generated history in. */
async function load(location: string, backend: Backend, releases: number): Promise<{ generated: GeneratedLedger; ms: number }> {
  const started = performance.now();
  await (await openLedger(location)).close();
  const loader = backend === 'sqlite' ? sqliteLoader(location) : await postgresLoader(location);
  const generator = generateLedger({ releases });
  let step = generator.next();
  while (!step.done) {
    await loader.chunk(step.value);
    step = generator.next();
  }
  await loader.finish(step.value.releases, step.value.environments);
  return { generated: step.value, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// The plans, so a slow query can be explained. The SQL mirrors what KyselyLedger builds, bound
// parameters included (a literal can get a different plan).

const EXPLAINED: Record<string, { sql: string; params: (ctx: { env: string; current: string; opId: string }) => unknown[] }> = {
  'listOperations(env, {limit: 20})': { sql: 'SELECT * FROM operations WHERE env = $1 ORDER BY started_at DESC, id DESC LIMIT 20', params: (c) => [c.env] },
  'listSteps(operationId)': { sql: 'SELECT * FROM steps WHERE operation_id = $1 ORDER BY idx', params: (c) => [c.opId] },
  'listEvents(env, {limit: 200})': { sql: 'SELECT * FROM events WHERE env = $1 ORDER BY id DESC LIMIT 200', params: (c) => [c.env] },
  'findLastKnownGood(env, current)': {
    sql: 'SELECT * FROM releases WHERE env = $1 AND good_seq IS NOT NULL AND state IN ($2, $3) AND version != $4 ORDER BY good_seq DESC LIMIT 1',
    params: (c) => [c.env, 'good', 'superseded', c.current],
  },
  'findRunningOperations(env)': { sql: 'SELECT * FROM operations WHERE state = $1 AND env = $2 ORDER BY started_at ASC', params: (c) => ['running', c.env] },
  'getRelease(env, version) (prune, per installed release)': { sql: 'SELECT * FROM releases WHERE env = $1 AND version = $2', params: (c) => [c.env, c.current] },
};

async function explain(backend: Backend, location: string, ctx: { env: string; current: string; opId: string }): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  if (backend === 'sqlite') {
    const db = new Database(location, { readonly: true });
    try {
      for (const [name, q] of Object.entries(EXPLAINED)) {
        const rows = db.prepare(`EXPLAIN QUERY PLAN ${q.sql.replace(/\$\d+/g, '?')}`).all(...(q.params(ctx) as string[])) as { detail: string }[];
        out[name] = rows.map((r) => r.detail);
      }
    } finally {
      db.close();
    }
    return out;
  }
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    for (const [name, q] of Object.entries(EXPLAINED)) {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, COSTS OFF) ${q.sql}`, q.params(ctx));
      out[name] = rows.map((r: Record<string, string>) => r['QUERY PLAN']!);
    }
  } finally {
    await client.end();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Measuring.

async function timeQueries(ledger: Ledger, runs: number, warmups: number): Promise<QueryRow[]> {
  const environment = await ledger.getEnvironment(MAIN_ENV);
  const current = environment!.currentVersion!;
  const history = async () => {
    const operations = await ledger.listOperations(MAIN_ENV, { limit: 20 });
    await Promise.all(operations.map((op) => ledger.listSteps(op.id)));
    return operations.length;
  };
  const cases: { name: string; targetMs: number | null; fn: () => Promise<unknown> }[] = [
    { name: 'history: listOperations(20) + listSteps ×20', targetMs: QUERY_TARGET_MS, fn: history },
    { name: 'history --events: listEvents(200)', targetMs: QUERY_TARGET_MS, fn: () => ledger.listEvents(MAIN_ENV, { limit: 200 }) },
    {
      name: 'listOperations(20) + listEvents(200)',
      targetMs: QUERY_TARGET_MS,
      fn: async () => {
        await ledger.listOperations(MAIN_ENV, { limit: 20 });
        await ledger.listEvents(MAIN_ENV, { limit: 200 });
      },
    },
    { name: 'findLastKnownGood(env, current)', targetMs: QUERY_TARGET_MS, fn: () => ledger.findLastKnownGood(MAIN_ENV, current) },
    { name: 'findRunningOperations(env) (every deploy/rollback, status)', targetMs: QUERY_TARGET_MS, fn: () => ledger.findRunningOperations(MAIN_ENV) },
    {
      name: 'status: all of its ledger reads',
      targetMs: QUERY_TARGET_MS,
      fn: async () => {
        const env = await ledger.getEnvironment(MAIN_ENV);
        await ledger.getRelease(MAIN_ENV, env!.currentVersion!);
        await Promise.all([ledger.findLastKnownGood(MAIN_ENV, env!.currentVersion), ledger.getLock(MAIN_ENV), ledger.listOperations(MAIN_ENV, { limit: 1 }), ledger.findRunningOperations(MAIN_ENV)]);
      },
    },
    {
      // Prune looks up each installed release directory (keep = 5, plus current and LKG): 7 point reads.
      name: 'prune (every deploy): getRelease ×7 installed',
      targetMs: QUERY_TARGET_MS,
      fn: async () => {
        for (let i = 0; i < 7; i++) await ledger.getRelease(MAIN_ENV, current);
      },
    },
  ];
  // Sanity: the queries see the loaded history.
  if ((await history()) !== 20) throw new Error('history returned fewer than 20 operations: the load went wrong');
  const lkg = await ledger.findLastKnownGood(MAIN_ENV, current);
  if (!lkg) throw new Error('no LKG found in the loaded ledger');

  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < warmups + runs; round++) {
    for (const [i, c] of cases.entries()) {
      const started = performance.now();
      await c.fn();
      if (round >= warmups) samples[i]!.push(performance.now() - started);
    }
  }
  return cases.map((c, i) => {
    const s = stats(samples[i]!);
    return { name: c.name, stats: s, targetMs: c.targetMs, met: c.targetMs === null ? null : s.median < c.targetMs };
  });
}

async function timeCli(commands: { name: string; argv: string[]; expect: string }[], runs: number, warmups: number): Promise<QueryRow[]> {
  const samples = commands.map(() => [] as number[]);
  for (let round = 0; round < warmups + runs; round++) {
    for (let k = 0; k < commands.length; k++) {
      const index = (round + k) % commands.length;
      const command = commands[index]!;
      const result = await run(command.argv);
      if (result.code !== 0 || !result.stdout.includes(command.expect)) throw new Error(`${command.name} failed (exit ${result.code}):\n${result.stdout.slice(0, 2000)}\n${result.stderr}`);
      if (round >= warmups) samples[index]!.push(result.ms);
    }
  }
  return commands.map((c, i) => ({ name: c.name, stats: stats(samples[i]!), targetMs: null, met: null }));
}

async function benchBackend(
  backend: Backend,
  location: string,
  configDir: string,
  options: { releases: number; runs: number; cliRuns: number; smallConfig?: string; log: (line: string) => void },
): Promise<{ result: BackendResult; counts: GeneratedCounts }> {
  const { log } = options;
  log(`  ${backend}: loading…`);
  const { generated, ms: loadMs } = await load(location, backend, options.releases);
  const { counts } = generated;
  const rows = counts.releases + counts.operations + counts.steps + counts.events;
  let sizeMiB: number | null = null;
  if (backend === 'sqlite') sizeMiB = Math.round(statSync(location).size / 2 ** 20);
  else {
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    const { rows: size } = await client.query('SELECT pg_database_size(current_database()) AS bytes');
    await client.end();
    sizeMiB = Math.round(Number(size[0].bytes) / 2 ** 20);
  }
  log(`  ${backend}: loaded ${rows.toLocaleString('en-US')} rows in ${(loadMs / 1000).toFixed(1)} s (${sizeMiB} MiB); timing queries…`);

  const ledger = await openLedger(location);
  let queries: QueryRow[];
  let current: string;
  let opId: string;
  try {
    queries = await timeQueries(ledger, options.runs, 2);
    current = (await ledger.getEnvironment(MAIN_ENV))!.currentVersion!;
    opId = (await ledger.listOperations(MAIN_ENV, { limit: 1 }))[0]!.id;
  } finally {
    await ledger.close();
  }

  const configPath = join(configDir, `rewind-${backend}.yaml`);
  await writeFile(configPath, sampleConfigYaml({ root: configDir, env: MAIN_ENV, port: 39_998, appName: 'rewind-bench-ledger', ledger: location }));
  const cliCommands = [
    { name: `rewind history ${MAIN_ENV}`, argv: [process.execPath, CLI_MAIN, 'history', MAIN_ENV, '--config', configPath], expect: current },
    { name: `rewind history ${MAIN_ENV} --events`, argv: [process.execPath, CLI_MAIN, 'history', MAIN_ENV, '--events', '--config', configPath], expect: 'deploy_complete' },
    { name: `rewind status ${MAIN_ENV}`, argv: [process.execPath, CLI_MAIN, 'status', MAIN_ENV, '--config', configPath], expect: current },
  ];
  if (options.smallConfig) {
    cliCommands.push({ name: `rewind history ${MAIN_ENV} (same, on a 20-release ledger)`, argv: [process.execPath, CLI_MAIN, 'history', MAIN_ENV, '--config', options.smallConfig], expect: 'deploy' });
  }
  log(`  ${backend}: timing the CLI…`);
  const cli = await timeCli(cliCommands, options.cliRuns, 2);
  const plans = await explain(backend, location, { env: MAIN_ENV, current, opId });
  return {
    counts,
    result: {
      backend,
      location: backend === 'sqlite' ? 'SQLite file (WAL)' : 'PostgreSQL 127.0.0.1:5432, throwaway database',
      load: {
        ms: Math.round(loadMs),
        rowsPerSecond: Math.round(rows / (loadMs / 1000)),
        sizeMiB,
        notes: backend === 'sqlite' ? 'prepared INSERTs in one transaction per chunk, synchronous=OFF while loading; no ANALYZE (rewind never runs it)' : 'INSERT … SELECT unnest($1::type[], …) in 10k-row batches, one transaction per chunk; ANALYZE afterwards (autovacuum would soon)',
      },
      queries,
      cli,
      explain: plans,
    },
  };
}

function printBackend(result: BackendResult, runs: number, log: (line: string) => void): void {
  log(`\n${result.backend} — ledger API in-process, median of ${runs} after 2 warmups`);
  log(
    table(
      ['query', 'median ms', 'p90 ms', 'max ms', 'target'],
      result.queries.map((q) => [q.name, ms(q.stats.median), ms(q.stats.p90), ms(q.stats.max), q.targetMs === null ? 'info' : `< ${q.targetMs}: ${verdict(q.met!)}`]),
    ),
  );
  log(`${result.backend} — CLI end to end (process start-up included), median of ${result.cli[0]?.stats.n ?? 0}`);
  log(table(['command', 'median ms', 'p90 ms', 'max ms'], result.cli.map((q) => [q.name, ms(q.stats.median), ms(q.stats.p90), ms(q.stats.max)])));
  log(`${result.backend} — query plans`);
  for (const [name, lines] of Object.entries(result.explain)) {
    log(`  ${name}:`);
    for (const line of lines) log(`      ${line}`);
  }
}

export async function ledgerScaleBench(
  options: { releases?: number; runs?: number; cliRuns?: number; pgAdminUrl?: string; backends?: Backend[]; log?: (line: string) => void } = {},
): Promise<LedgerScaleResult> {
  const releases = options.releases ?? 100_000;
  const runs = options.runs ?? 20;
  const cliRuns = options.cliRuns ?? 20;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const backends = options.backends ?? ['sqlite', 'postgres'];
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-ledger-'));
  const forgetDir = onCleanup(() => rm(dir, { recursive: true, force: true }));
  const results: BackendResult[] = [];
  const skipped: LedgerScaleResult['skipped'] = [];
  let counts: GeneratedCounts | undefined;
  log(`\nLedger scale — ${releases.toLocaleString('en-US')} releases in ${MAIN_ENV}, plus noise in other environments`);
  try {
    // A small ledger, for the CLI's cost when the ledger is not big.
    const small = join(dir, 'small.db');
    await load(small, 'sqlite', 20);
    const smallConfig = join(dir, 'rewind-small.yaml');
    await writeFile(smallConfig, sampleConfigYaml({ root: dir, env: MAIN_ENV, port: 39_997, appName: 'rewind-bench-small', ledger: small }));

    if (backends.includes('sqlite')) {
      const { result, counts: c } = await benchBackend('sqlite', join(dir, 'ledger.db'), dir, { releases, runs, cliRuns, smallConfig, log });
      counts = c;
      results.push(result);
      printBackend(result, runs, log);
      await rm(join(dir, 'ledger.db'), { force: true });
    }

    if (backends.includes('postgres')) {
      const adminUrl = options.pgAdminUrl ?? process.env.REWIND_BENCH_PG_ADMIN ?? DEFAULT_PG_ADMIN;
      const database = `rewind_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      let created = false;
      try {
        await admin.connect();
        await admin.query(`CREATE DATABASE ${database}`);
        created = true;
      } catch (error) {
        skipped.push({ backend: 'postgres', reason: `cannot create a database through ${adminUrl}: ${(error as Error).message}` });
        log(`  postgres: skipped — ${(error as Error).message}`);
      } finally {
        await admin.end().catch(() => undefined);
      }
      if (created) {
        const drop = async () => {
          const client = new pg.Client({ connectionString: adminUrl });
          await client.connect();
          try {
            await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          } finally {
            await client.end();
          }
        };
        const forgetDb = onCleanup(drop);
        try {
          const url = new URL(adminUrl);
          url.pathname = `/${database}`;
          const { result, counts: c } = await benchBackend('postgres', url.toString(), dir, { releases, runs, cliRuns, log });
          counts ??= c;
          results.push(result);
          printBackend(result, runs, log);
        } finally {
          await drop();
          forgetDb();
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    forgetDir();
  }
  if (!counts) throw new Error('no backend was measured');
  const main = counts.byEnv[MAIN_ENV]!;
  log(
    `data: ${main.releases.toLocaleString('en-US')} releases, ${main.operations.toLocaleString('en-US')} operations, ${main.events.toLocaleString('en-US')} events in ${MAIN_ENV}; ` +
      `${counts.releases.toLocaleString('en-US')} releases, ${counts.operations.toLocaleString('en-US')} operations, ${counts.steps.toLocaleString('en-US')} steps, ${counts.events.toLocaleString('en-US')} events in all`,
  );
  const targeted = results.flatMap((r) => r.queries.filter((q) => q.targetMs !== null));
  const met = targeted.every((q) => q.met);
  log(`target: every targeted ledger query < ${QUERY_TARGET_MS} ms (median) → ${verdict(met)}`);
  return { measuredAt: new Date().toISOString(), runs, counts, backends: results, skipped, target: { what: `ledger queries behind history/status/rollback, median < ${QUERY_TARGET_MS} ms`, met } };
}

#!/usr/bin/env node
// Database backup benchmark: rewind's PostgreSQL backup and restore against the raw tools, same run.
//
//   node dist-bench/bench/backup-bench.js                       ~350 MB database, 3 interleaved rounds
//   REWIND_BENCH_DB_MB=1900 node dist-bench/bench/backup-bench.js   a 1.86 GB-class database
//
// Environment: REWIND_BENCH_PG_ADMIN (default postgres://root@127.0.0.1:5432/test, must be able to
// CREATE DATABASE), REWIND_BENCH_DB_MB (default 350), REWIND_BENCH_RUNS (default 3), REWIND_BENCH_DIR
// (where dumps are written; default the OS temp dir). The bench database is dropped at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PostgresEngine } from '../src/adapters/databases/postgres/postgres-engine.js';
import { postgresDatabaseSchema } from '../src/config/config-schema.js';
import { ProcessExecutor } from '../src/exec/process-executor.js';
import type { CommandSpec } from '../src/ports/executor.js';

export interface BackupBenchOptions {
  adminUrl?: string;
  /** Approximate on-disk size of the database to build, in MB. */
  sizeMb?: number;
  runs?: number;
  dir?: string;
  log?: (line: string) => void;
}

export interface Measurement {
  name: string;
  /** Median wall time over the runs, ms. */
  ms: number;
  samples: number[];
  /** Bytes on disk of the dump (backups only). */
  bytes?: number;
}

export interface BackupBenchResult {
  databaseBytes: number;
  rows: { users: number; events: number };
  buildMs: number;
  runs: number;
  machine: { cpus: number; model: string; loadavg: number[] };
  backups: Measurement[];
  restores: Measurement[];
  /** `ratio`: of the medians; `perRound`: the same ratio within each round (both run back to back), whose median decides `ok` where given. */
  targets: { name: string; ratio: number; perRound?: number[]; limit: number; ok: boolean }[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Builds the bench data: users, events (jsonb + text), a migration table; about `sizeMb` on disk. */
async function buildDatabase(url: string, sizeMb: number): Promise<{ users: number; events: number }> {
  // Measured: 1M events + 200k users with their indexes take about 353 MB.
  const events = Math.max(10_000, Math.round((sizeMb / 353) * 1_000_000));
  const users = Math.max(2_000, Math.round(events / 5));
  await Promise.all([
    sql(
      url,
      `CREATE TABLE users AS SELECT g AS id, 'user' || g || '@example.com' AS email, md5(g::text) AS name,
         timestamptz '2024-01-01' + (g || ' seconds')::interval AS created_at FROM generate_series(1, ${users}) g;
       ALTER TABLE users ADD PRIMARY KEY (id);`,
    ),
    sql(
      url,
      `SET synchronous_commit = off;
       CREATE TABLE events AS SELECT g AS id, (g % ${users}) + 1 AS user_id, (ARRAY['click','view','purchase','signup'])[1 + g % 4] AS kind,
         jsonb_build_object('ip', '10.' || (g % 256) || '.' || (g / 256 % 256) || '.' || (g % 7), 'ua', 'Mozilla/5.0 (X11; Linux x86_64) rewind-bench',
           'amount', g % 1000, 'session', md5((g * 7)::text), 'tags', jsonb_build_array('a' || g % 10, 'b' || g % 13)) AS payload,
         md5(g::text) || ' ' || md5((g + 1)::text) AS note, timestamptz '2024-01-01' + (g || ' ms')::interval AS created_at
       FROM generate_series(1, ${events}) g;
       ALTER TABLE events ADD PRIMARY KEY (id);
       CREATE INDEX events_user ON events (user_id);`,
    ),
  ]);
  await sql(
    url,
    `CREATE TABLE _prisma_migrations (id text PRIMARY KEY, checksum text NOT NULL, finished_at timestamptz, migration_name text NOT NULL,
       logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0);
     INSERT INTO _prisma_migrations VALUES ('1', 'x', '2024-01-01', '20240101_init', NULL, NULL, '2024-01-01', 1);`,
  );
  await sql(url, 'VACUUM ANALYZE');
  return { users, events };
}

export async function runBackupBench(options: BackupBenchOptions = {}): Promise<BackupBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const adminUrl = options.adminUrl ?? process.env.REWIND_BENCH_PG_ADMIN ?? 'postgres://root@127.0.0.1:5432/test';
  const sizeMb = options.sizeMb ?? Number(process.env.REWIND_BENCH_DB_MB ?? 350);
  const runs = options.runs ?? Number(process.env.REWIND_BENCH_RUNS ?? 3);
  const database = `rewind_bench_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(adminUrl, database);
  const work = mkdtempSync(join(options.dir ?? process.env.REWIND_BENCH_DIR ?? tmpdir(), 'rewind-backup-bench-'));
  const executor = new ProcessExecutor();
  const timeoutMs = 3_600_000;

  const exec = async (stages: CommandSpec[]): Promise<number> => {
    const started = performance.now();
    const result = await executor.runPipeline(stages.map((s) => ({ timeoutMs, ...s })));
    if (!result.ok) throw new Error(`${stages.map((s) => s.argv[0]).join(' | ')} failed: ${result.stages.map((s) => s.stderr.trim()).join(' / ')}`);
    return performance.now() - started;
  };

  await sql(adminUrl, `CREATE DATABASE ${database}`);
  try {
    log(`building ${database} (~${sizeMb} MB)…`);
    const buildStarted = performance.now();
    const rows = await buildDatabase(url, sizeMb);
    const buildMs = performance.now() - buildStarted;
    const databaseBytes = Number((await sql(url, `SELECT pg_database_size(current_database()) AS n`)).rows[0].n);
    log(`built ${(databaseBytes / 1e6).toFixed(0)} MB in ${(buildMs / 1000).toFixed(1)} s`);

    const engine = new PostgresEngine(postgresDatabaseSchema.parse({ engine: 'postgres', url, compression: 'zstd' }), executor);
    const file = (name: string) => join(work, name);
    const dumpArgs = ['pg_dump', '--format=custom', `--dbname=${url}`];
    const backups: Record<string, { samples: number[]; bytes: number }> = {};
    const restores: Record<string, { samples: number[] }> = {};
    const record = (table: Record<string, { samples: number[]; bytes?: number }>, name: string, ms: number, bytes?: number) => {
      const entry = (table[name] ??= { samples: [], bytes: 0 });
      entry.samples.push(ms);
      if (bytes !== undefined) entry.bytes = bytes;
    };

    // Warm the page cache so the first measured dump is not the only cold one.
    await exec([{ argv: [...dumpArgs, '--compress=0', `--file=${file('warmup.dump')}`] }]);
    rmSync(file('warmup.dump'));

    let artifact: Awaited<ReturnType<PostgresEngine['backup']>>['artifact'] | undefined;
    for (let round = 1; round <= runs; round++) {
      log(`round ${round}/${runs}: backups`);
      // Interleaved, so load from other processes on the machine spreads over all of them alike.
      record(backups, 'pg_dump -Fc (default, gzip level 6)', await exec([{ argv: [...dumpArgs, `--file=${file('default.dump')}`] }]), statSync(file('default.dump')).size);
      record(backups, 'pg_dump -Fc -Z0', await exec([{ argv: [...dumpArgs, '--compress=0', `--file=${file('z0.dump')}`] }]), statSync(file('z0.dump')).size);
      record(backups, 'pg_dump -Fc -Z1', await exec([{ argv: [...dumpArgs, '--compress=1', `--file=${file('z1.dump')}`] }]), statSync(file('z1.dump')).size);
      record(
        backups,
        'pg_dump -Fc -Z0 | zstd -1 (raw)',
        await exec([{ argv: [...dumpArgs, '--compress=0'] }, { argv: ['zstd', '-1', '--quiet', '--force', '-o', file('raw.dump.zst')] }]),
        statSync(file('raw.dump.zst')).size,
      );
      rmSync(file('z0.dump'));
      rmSync(file('z1.dump'));
      if (artifact) rmSync(artifact.path, { force: true });
      const started = performance.now();
      const result = await engine.backup(file(`rewind-${round}.dump.zst`), ['users', 'events']);
      record(backups, 'rewind backup (zstd, sha256 while streaming, snapshot)', performance.now() - started, result.artifact.size);
      artifact = result.artifact;
      // The same without counting the critical tables: what the wrapper itself adds to the raw pipeline
      // (the counts run concurrently with the dump, in its snapshot, and compete with it for the cores).
      const bare = performance.now();
      const uncounted = await engine.backup(file('rewind-uncounted.dump.zst'), []);
      record(backups, 'rewind backup without critical-table counts', performance.now() - bare, uncounted.artifact.size);
      rmSync(uncounted.artifact.path);

      log(`round ${round}/${runs}: restores`);
      record(restores, 'pg_restore -1 --clean --if-exists (default dump)', await exec([{ argv: ['pg_restore', '--single-transaction', '--clean', '--if-exists', `--dbname=${url}`, file('default.dump')] }]));
      record(
        restores,
        'zstd -dc | pg_restore -1 --clean --if-exists (raw)',
        await exec([{ argv: ['zstd', '-dc', '--quiet', '--', file('raw.dump.zst')] }, { argv: ['pg_restore', '--single-transaction', '--clean', '--if-exists', `--dbname=${url}`] }]),
      );
      const restoreStarted = performance.now();
      const verdict = await engine.verify(artifact);
      if (!verdict.ok) throw new Error(`verify failed: ${verdict.reason}`);
      await engine.restore(artifact);
      record(restores, 'rewind verify + restore (one transaction)', performance.now() - restoreStarted);
    }
    const after = await engine.snapshot(['users', 'events']);
    if (after.rowCounts.events !== rows.events || after.rowCounts.users !== rows.users) throw new Error(`restored row counts ${JSON.stringify(after.rowCounts)} differ from ${JSON.stringify(rows)}`);

    const toList = (table: Record<string, { samples: number[]; bytes?: number }>): Measurement[] =>
      Object.entries(table).map(([name, { samples, bytes }]) => ({ name, ms: median(samples), samples, ...(bytes ? { bytes } : {}) }));
    const backupList = toList(backups);
    const restoreList = toList(restores);
    const find = (list: Measurement[], prefix: string) => list.find((m) => m.name.startsWith(prefix))!;
    const dflt = find(backupList, 'pg_dump -Fc (default');
    const raw = find(backupList, 'pg_dump -Fc -Z0 | zstd');
    const ours = find(backupList, 'rewind backup');
    const rawRestore = find(restoreList, 'pg_restore -1');
    const ourRestore = find(restoreList, 'rewind verify');
    const uncounted = find(backupList, 'rewind backup without');
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const target = (name: string, ratio: number, limit: number) => ({ name, ratio: round2(ratio), limit, ok: ratio <= limit });
    // Per round, the two ran minutes apart at most: their ratio is less exposed to load that comes and goes.
    const paired = (name: string, ours: Measurement, theirs: Measurement, limit: number) => {
      const perRound = ours.samples.map((ms, i) => ms / theirs.samples[i]!);
      return { name, ratio: round2(ours.ms / theirs.ms), perRound: perRound.map(round2), limit, ok: median(perRound) <= limit };
    };
    return {
      databaseBytes,
      rows,
      buildMs,
      runs,
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
      backups: backupList,
      restores: restoreList,
      targets: [
        target('rewind backup time / default pg_dump -Fc time', ours.ms / dflt.ms, 0.5),
        target('rewind backup size / default pg_dump -Fc size', ours.bytes! / dflt.bytes!, 1.5),
        paired('rewind backup time / the raw pipeline it wraps', ours, raw, 1.05),
        paired('rewind backup without critical-table counts / the raw pipeline', uncounted, raw, 1.05),
        paired('rewind verify+restore time / raw pg_restore time', ourRestore, rawRestore, 1.1),
      ],
    };
  } finally {
    await sql(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error: unknown) => log(`could not drop ${database}: ${(error as Error).message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

/** The result as the markdown tables docs/benchmarks.md shows. */
export function formatBackupBench(result: BackupBenchResult): string {
  const s = (x: number) => (x / 1000).toFixed(2);
  const mb = (x?: number) => (x === undefined ? '' : (x / 1e6).toFixed(1));
  const cell = (name: string) => name.replace(/\|/g, '\\|');
  const lines = [
    `Database: ${(result.databaseBytes / 1e6).toFixed(0)} MB (${result.rows.events.toLocaleString('en-US')} events with jsonb + ${result.rows.users.toLocaleString('en-US')} users), median of ${result.runs} interleaved rounds; ${result.machine.cpus} × ${result.machine.model}, load ${result.machine.loadavg.join(' ')}.`,
    '',
    '| backup | time (s) | size (MB) | samples (s) |',
    '| --- | ---: | ---: | --- |',
    ...result.backups.map((m) => `| ${cell(m.name)} | ${s(m.ms)} | ${mb(m.bytes)} | ${m.samples.map(s).join(', ')} |`),
    '',
    '| restore | time (s) | samples (s) |',
    '| --- | ---: | --- |',
    ...result.restores.map((m) => `| ${cell(m.name)} | ${s(m.ms)} | ${m.samples.map(s).join(', ')} |`),
    '',
    '| target | ratio of medians | per round (median: decides) | limit | met |',
    '| --- | ---: | --- | ---: | --- |',
    ...result.targets.map((t) => `| ${t.name} | ${t.ratio.toFixed(2)} | ${t.perRound ? `${median(t.perRound).toFixed(2)} (${t.perRound.map((r) => r.toFixed(2)).join(', ')})` : '—'} | ≤ ${t.limit} | ${t.ok ? 'yes' : 'no'} |`),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runBackupBench()
    .then((result) => {
      process.stdout.write(`${formatBackupBench(result)}\n`);
      if (process.env.REWIND_BENCH_JSON) process.stdout.write(`${JSON.stringify(result)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}

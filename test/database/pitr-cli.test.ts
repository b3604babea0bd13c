import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPostgres, BIN, executor, mustRun, OS_USER, sql, switchAndWaitArchived, urlFor } from '../support/pg-cluster.js';
import { quoteConfString, quoteServerCommandArg, type BaseBackup } from '../../src/adapters/databases/postgres/postgres-pitr.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { runCli, type CliResult } from '../support/sandbox.js';
import { POSTGRES_ADMIN_URL as MAIN } from '../support/services.js';

// `rewind db pitr …` and `rewind db restore --to-time` end to end through the built CLI, against a
// throwaway PostgreSQL 15 cluster archiving WAL into a temp directory (as in pitr.test.ts: the tests
// run as root, which postgres refuses, so the server binaries run as `postgres`).

const serverNow = async (port: number): Promise<string> =>
  ((await sql<{ t: string }>(port, `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`)) as [{ t: string }])[0].t;

/** A coded CLI failure: exit code, the code on stderr, and nothing on stdout unless told. */
function expectCoded(result: CliResult, exitCode: number, code: string): void {
  expect(result.stderr, result.stdout).toContain(code);
  expect(result.code, result.stderr).toBe(exitCode);
}

describe('rewind db pitr / db restore --to-time (built CLI)', () => {
  const root = mkdtempSync(join(tmpdir(), 'rewind-pitr-cli-'));
  const archiveDir = join(root, 'archive');
  const primaryDir = join(root, 'primary');
  const backupDir = join(root, 'backups');
  const baseBackupDir = join(backupDir, 'base');
  const restoreDir = join(backupDir, 'pitr');
  const config = join(root, 'rewind.yaml');
  const started: string[] = [];
  let primaryPort = 0;
  let restorePort = 0;
  let backup: BaseBackup;
  const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--config', config], 45_000);

  beforeAll(async () => {
    const uid = Number(await mustRun({ argv: ['id', '-u', OS_USER] }));
    const gid = Number(await mustRun({ argv: ['id', '-g', OS_USER] }));
    chownSync(root, uid, gid);
    mkdirSync(archiveDir);
    chownSync(archiveDir, uid, gid);
    [primaryPort, restorePort] = await Promise.all([freePort(), freePort()]);
    while (restorePort === primaryPort) restorePort = await freePort();

    await mustRun({ argv: asPostgres([join(BIN, 'initdb'), '-D', primaryDir, '--auth=trust', '--username=postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']), cwd: root });
    const archiveTo = quoteServerCommandArg(archiveDir);
    appendFileSync(
      join(primaryDir, 'postgresql.conf'),
      [
        '',
        `port = ${primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = ${quoteConfString(root)}`,
        "wal_level = 'replica'",
        "archive_mode = 'on'",
        `archive_command = ${quoteConfString(`test ! -f ${archiveTo}/%f && cp %p ${archiveTo}/%f`)}`,
        '',
      ].join('\n'),
    );
    started.push(primaryDir);
    await mustRun({ argv: asPostgres([join(BIN, 'pg_ctl'), 'start', '-D', primaryDir, '-l', `${primaryDir}.log`, '-w', '-t', '30']), cwd: root, timeoutMs: 40_000 });
    await sql(primaryPort, 'CREATE TABLE orders (id int PRIMARY KEY, batch text NOT NULL)');
    await switchAndWaitArchived(primaryPort);

    const runtime = ['      runtime:', '        type: command', '        start: ["true"]', '        reload: ["true"]'].join('\n');
    const env = (name: string, database: string[]): string =>
      [`  ${name}:`, '    target:', '      type: releases', `      path: ./srv-${name}`, runtime, '    database:', ...database.map((line) => `      ${line}`)].join('\n');
    writeFileSync(
      config,
      [
        'version: 1',
        'ledger: ./rewind.db',
        'log:',
        '  file: ./events.log',
        'environments:',
        env('live', [
          'engine: postgres',
          `url: ${urlFor(primaryPort)}`,
          `binDir: ${BIN}`,
          `backupDir: ${backupDir}`,
          `pitr: { archiveDir: ${archiveDir}, osUser: ${OS_USER}, restorePort: ${restorePort} }`,
        ]),
        // The shared development server: reachable, archiving off.
        env('main', ['engine: postgres', `url: ${MAIN}`, `binDir: ${BIN}`, `backupDir: ${join(root, 'backups-main')}`, `pitr: { archiveDir: ${join(root, 'archive-main')}, osUser: ${OS_USER} }`]),
        // A database without point-in-time recovery configured.
        env('plain', ['engine: postgres', `url: ${urlFor(primaryPort)}`, `binDir: ${BIN}`, `backupDir: ${join(root, 'backups-plain')}`]),
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    // The recovered server(s), wherever the restore put them, then the source.
    const recovered = existsSync(restoreDir) ? readdirSync(restoreDir).map((name) => join(restoreDir, name)).filter((dir) => existsSync(join(dir, 'postmaster.pid'))) : [];
    for (const dir of [...new Set([...started.slice(1), ...recovered])].reverse().concat(started.slice(0, 1))) {
      await executor.run({ argv: asPostgres([join(BIN, 'pg_ctl'), 'stop', '-D', dir, '-m', 'immediate', '-w']), cwd: root, timeoutMs: 30_000 }).catch(() => undefined);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('db pitr check: passes on an archiving server, ✓ per check; --json gives { ok, checks }', async () => {
    const human = await cli('db', 'pitr', 'check', 'live');
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(':')[0])).toEqual(['✓ wal_level', '✓ archive_mode', '✓ archive_command', '✓ pg_stat_archiver', '✓ archive_continuity']);
    expect(human.stdout).toContain('✓ archive_mode: archive_mode = on');

    const json = await cli('db', 'pitr', 'check', 'live', '--json');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(result.ok).toBe(true);
    expect(result.checks.map((check) => check.name)).toEqual(['wal_level', 'archive_mode', 'archive_command', 'pg_stat_archiver', 'archive_continuity']);
    expect(result.checks.every((check) => check.ok)).toBe(true);
  });

  it('db pitr check: exit 3 REWIND_E_PITR_NOT_READY on a server without archiving, naming archive_mode', async () => {
    const result = await cli('db', 'pitr', 'check', 'main');
    expectCoded(result, 3, 'REWIND_E_PITR_NOT_READY');
    expect(result.stdout).toMatch(/^✗ archive_mode: archive_mode = off: set archive_mode = on and restart/m);
    expect(result.stderr).toContain('archive_mode');
  });

  it('db pitr base-backup writes a verified backup with its JSON manifest beside it; db pitr list shows it', async () => {
    const taken = await cli('db', 'pitr', 'base-backup', 'live', '--json');
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    backup = JSON.parse(taken.stdout) as BaseBackup;
    expect(backup).toMatchObject({ format: 'pg-basebackup-plain', timeline: 1 });
    expect(backup.path.startsWith(`${baseBackupDir}/live-`)).toBe(true);
    expect(existsSync(join(backup.path, 'backup_manifest'))).toBe(true);
    expect(JSON.parse(readFileSync(`${backup.path}.json`, 'utf8'))).toEqual(backup);

    const list = await cli('db', 'pitr', 'list', 'live');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(backup.path);
    expect(list.stdout).toContain(backup.endTime);
    const listed = await cli('db', 'pitr', 'list', 'live', '--json');
    expect((JSON.parse(listed.stdout) as BaseBackup[]).map((b) => b.path)).toEqual([backup.path]);
  });

  it('refuses bad input with a coded error and creates nothing', async () => {
    const valid = new Date().toISOString();
    const [dryRun, withBackup, unconfirmed, notIso, badPort, badAction, beforeBackup, noPitrRestore, noPitrCheck] = await Promise.all([
      cli('db', 'restore', 'live', '--to-time', valid, '--dry-run', '--yes'),
      cli('db', 'restore', 'live', '--to-time', valid, '--backup', '1', '--yes'),
      cli('db', 'restore', 'live', '--to-time', valid),
      cli('db', 'restore', 'live', '--to-time', 'yesterday', '--yes'),
      cli('db', 'restore', 'live', '--to-time', valid, '--port', 'abc', '--yes'),
      cli('db', 'pitr', 'nonsense', 'live'),
      cli('db', 'restore', 'live', '--to-time', backup.startTime, '--yes'),
      cli('db', 'restore', 'plain', '--to-time', valid, '--yes'),
      cli('db', 'pitr', 'check', 'plain'),
    ]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(`from base backup ${backup.path}`);
    expect(dryRun.stdout).toContain('(dry run: nothing was changed)');
    expectCoded(withBackup, 2, 'REWIND_E_USAGE');
    expectCoded(unconfirmed, 2, 'REWIND_E_CONFIRM_REQUIRED');
    expectCoded(notIso, 2, 'REWIND_E_PITR_INVALID');
    expect(notIso.stderr).toContain('"yesterday" is not an ISO 8601 time');
    expectCoded(badPort, 2, 'REWIND_E_USAGE');
    expect(badPort.stderr).toContain('--port');
    expectCoded(badAction, 2, 'REWIND_E_USAGE');
    expect(badAction.stderr).toContain('nonsense');
    expectCoded(beforeBackup, 2, 'REWIND_E_PITR_INVALID');
    expect(beforeBackup.stderr).toContain(`the oldest ended ${backup.endTime}`);
    expectCoded(noPitrRestore, 2, 'REWIND_E_PITR_INVALID');
    expect(noPitrRestore.stderr).toContain('environments.plain.database.pitr');
    expectCoded(noPitrCheck, 2, 'REWIND_E_PITR_INVALID');

    expect(existsSync(restoreDir)).toBe(false);
    expect(readdirSync(baseBackupDir).sort()).toEqual([`${backup.path.slice(baseBackupDir.length + 1)}`, `${backup.path.slice(baseBackupDir.length + 1)}.json`].sort());
  });

  it('db restore --to-time T recovers a new server on restorePort with batch A and without batch B; the source keeps both', async () => {
    await sql(primaryPort, "INSERT INTO orders SELECT g, 'A' FROM generate_series(1, 100) g");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const target = await serverNow(primaryPort);
    expect(target).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    // B's commits must carry a later timestamp than T, whatever the clock's granularity.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sql(primaryPort, "INSERT INTO orders SELECT g, 'B' FROM generate_series(101, 150) g");
    await switchAndWaitArchived(primaryPort);

    const restored = await cli('db', 'restore', 'live', '--to-time', target, '--yes');
    const dataDir = /data directory (\S+),/.exec(restored.stdout)?.[1];
    if (dataDir) started.push(dataDir);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`recovered live to ${target} from base backup ${backup.path}`);
    expect(restored.stdout).toContain(`server: 127.0.0.1:${restorePort} (pid `);
    expect(dataDir!.startsWith(`${restoreDir}/live-`)).toBe(true);
    expect(existsSync(join(dataDir!, 'postmaster.pid'))).toBe(true);

    expect(await sql(restorePort, 'SELECT batch, count(*)::int AS n FROM orders GROUP BY batch ORDER BY batch')).toEqual([{ batch: 'A', n: 100 }]);
    expect(await sql(restorePort, 'SELECT pg_is_in_recovery() AS recovering')).toEqual([{ recovering: false }]);
    expect(await sql(primaryPort, 'SELECT batch, count(*)::int AS n FROM orders GROUP BY batch ORDER BY batch')).toEqual([
      { batch: 'A', n: 100 },
      { batch: 'B', n: 50 },
    ]);
  });
});

import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPostgres, BIN, executor, mustRun, OS_USER, sql, switchAndWaitArchived, urlFor } from '../support/pg-cluster.js';
import {
  buildRestoreCommand,
  checkPitr,
  quoteConfString,
  quoteServerCommandArg,
  restoreToTime,
  takeBaseBackup,
  type BaseBackup,
  type RestoreToTimeOptions,
} from '../../src/adapters/databases/postgres/postgres-pitr.js';
import { currentDigest } from '../../src/adapters/databases/backup-digest.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import type { RewindError } from '../../src/errors/rewind-error.js';
import { POSTGRES_ADMIN_URL as MAIN } from '../support/services.js';

// PITR against real throwaway clusters (initdb/pg_ctl of PostgreSQL 15) with WAL archiving into a temp
// directory. The tests run as root, which postgres refuses, so the server binaries run as `postgres`.

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    return `${(error as RewindError).code ?? 'uncoded'}: ${(error as Error).message}`;
  }
  return 'resolved';
};

describe('postgres point-in-time recovery', () => {
  const root = mkdtempSync(join(tmpdir(), 'rewind-pitr-'));
  // A name the server's shell would mangle unquoted: space, single quote, % (a restore_command
  // placeholder) and $ — restore_command and archive_command must survive all three layers.
  const archiveDir = join(root, "wal archive's 100% $HOME");
  const primaryDir = join(root, 'primary');
  const bogusDir = join(root, 'bogus');
  const restoredDir = join(root, 'restored');
  const started: string[] = [];
  let primaryPort = 0;
  let bogusPort = 0;
  let restoredPort = 0;

  async function startCluster(dir: string, port: number, conf: string[]): Promise<void> {
    await mustRun({ argv: asPostgres([join(BIN, 'initdb'), '-D', dir, '--auth=trust', '--username=postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']), cwd: root });
    appendFileSync(join(dir, 'postgresql.conf'), ['', `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = ${quoteConfString(root)}`, ...conf, ''].join('\n'));
    started.push(dir);
    await mustRun({ argv: asPostgres([join(BIN, 'pg_ctl'), 'start', '-D', dir, '-l', `${dir}.log`, '-w', '-t', '30']), cwd: root, timeoutMs: 40_000 });
  }

  beforeAll(async () => {
    const uid = Number(await mustRun({ argv: ['id', '-u', OS_USER] }));
    const gid = Number(await mustRun({ argv: ['id', '-g', OS_USER] }));
    chownSync(root, uid, gid);
    mkdirSync(archiveDir);
    chownSync(archiveDir, uid, gid);
    [primaryPort, bogusPort, restoredPort] = await Promise.all([freePort(), freePort(), freePort()]);
    while (new Set([primaryPort, bogusPort, restoredPort]).size < 3) restoredPort = await freePort();
    const archiveTo = quoteServerCommandArg(archiveDir);
    await Promise.all([
      startCluster(primaryDir, primaryPort, [
        "wal_level = 'replica'",
        "archive_mode = 'on'",
        `archive_command = ${quoteConfString(`test ! -f ${archiveTo}/%f && cp %p ${archiveTo}/%f`)}`,
      ]),
      // Archiving "on" but to nowhere: the classic PITR setup that only looks right.
      startCluster(bogusDir, bogusPort, ["archive_mode = 'on'", "archive_command = '/bin/true'"]),
    ]);
    await sql(primaryPort, 'CREATE TABLE orders (id int PRIMARY KEY, batch text NOT NULL)');
    await switchAndWaitArchived(primaryPort);
  });

  afterAll(async () => {
    for (const dir of started.reverse()) {
      await executor.run({ argv: asPostgres([join(BIN, 'pg_ctl'), 'stop', '-D', dir, '-m', 'immediate', '-w']), cwd: root, timeoutMs: 30_000 }).catch(() => undefined);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('quotes the archive path through the config-file, placeholder and shell layers', () => {
    expect(buildRestoreCommand("/a b/it's 100% $x")).toBe(`cp '/a b/it'\\''s 100%% $x'/%f "%p"`);
    expect(quoteConfString(`cp 'a\\b'`)).toBe(`'cp ''a\\\\b'''`);
    expect(() => buildRestoreCommand('/archive\nrm -rf /')).toThrow(/control character/);
    expect(() => buildRestoreCommand('relative/archive')).toThrow(/absolute/);
  });

  it('reports a correctly archiving server as ok, archive continuity included', async () => {
    const result = await checkPitr({ url: urlFor(primaryPort), archiveDir });
    expect(result.checks.map((check) => check.name)).toEqual(['wal_level', 'archive_mode', 'archive_command', 'pg_stat_archiver', 'archive_continuity']);
    expect(result.checks.filter((check) => !check.ok)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('names the setting to change on a server whose archiving is off or a no-op', async () => {
    const bogus = await checkPitr({ url: urlFor(bogusPort) });
    expect(bogus.ok).toBe(false);
    const command = bogus.checks.find((check) => check.name === 'archive_command')!;
    expect(command.ok).toBe(false);
    expect(command.detail).toMatch(/"\/bin\/true" reports success without storing anything/);
    expect(bogus.checks.find((check) => check.name === 'pg_stat_archiver')!.ok).toBe(false);

    // The shared development server runs without archiving.
    const main = await checkPitr({ url: MAIN });
    expect(main.ok).toBe(false);
    expect(main.checks.find((check) => check.name === 'archive_mode')).toMatchObject({ ok: false, detail: expect.stringContaining('set archive_mode = on and restart') });
  });

  describe('base backup, then restore to a time between two batches', () => {
    let backup: BaseBackup;
    let target = '';
    const base = (overrides: Partial<RestoreToTimeOptions> = {}): RestoreToTimeOptions => ({
      backup,
      archiveDir,
      targetTime: target,
      dataDir: restoredDir,
      port: restoredPort,
      executor,
      binDir: BIN,
      osUser: OS_USER,
      timeoutMs: 30_000,
      ...overrides,
    });

    beforeAll(async () => {
      backup = await takeBaseBackup({ url: urlFor(primaryPort), destination: join(root, 'base'), executor, binDir: BIN });
      await sql(primaryPort, "INSERT INTO orders SELECT g, 'A' FROM generate_series(1, 100) g");
      [{ target }] = (await sql<{ target: string }>(primaryPort, `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS target`)) as [{ target: string }];
      // B's commits must carry a later timestamp than T, whatever the clock's granularity.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sql(primaryPort, "INSERT INTO orders SELECT g, 'B' FROM generate_series(101, 150) g");
      await sql(primaryPort, "UPDATE orders SET batch = 'A-changed-later' WHERE id = 1");
      await switchAndWaitArchived(primaryPort);
    });

    it('records the backup with the house directory digest and its WAL range', async () => {
      expect(backup).toMatchObject({ path: join(root, 'base'), format: 'pg-basebackup-plain', timeline: 1 });
      expect(existsSync(join(root, 'base.partial'))).toBe(false);
      expect(backup.size).toBeGreaterThan(1_000_000);
      expect(await currentDigest(backup.path)).toBe(backup.sha256);
      expect(backup.startLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(backup.endTime > backup.startTime).toBe(true);
      expect(target > backup.endTime).toBe(true);
    });

    it('refuses bad input with a coded error and writes nothing', async () => {
      const refused = async (overrides: Partial<RestoreToTimeOptions>, pattern: RegExp): Promise<void> => {
        expect(await codeOf(restoreToTime(base(overrides)))).toMatch(pattern);
        expect(existsSync(restoredDir)).toBe(false);
        expect(existsSync(`${restoredDir}.restore.log`)).toBe(false);
      };
      await refused({ targetTime: 'yesterday' }, /^REWIND_E_PITR_INVALID: targetTime "yesterday" is not an ISO 8601/);
      await refused({ targetTime: '2026-02-30T12:00:00Z' }, /^REWIND_E_PITR_INVALID: targetTime .* is not an ISO 8601/);
      await refused({ targetTime: target.replace('Z', '') }, /^REWIND_E_PITR_INVALID: .*with a zone/);
      await refused({ targetTime: new Date(Date.now() + 3_600_000).toISOString() }, /^REWIND_E_PITR_INVALID: targetTime .* is in the future/);
      await refused({ targetTime: backup.startTime }, /^REWIND_E_PITR_INVALID: targetTime .* is before the base backup ended/);
      await refused({ archiveDir: `${archiveDir}\n; rm -rf /` }, /^REWIND_E_PITR_INVALID: archiveDir .* control character/);
      await refused({ dataDir: join(root, 'restored-$(id)') }, /^REWIND_E_PITR_INVALID: dataDir .* pg_ctl cannot pass safely/);
      await refused({ port: primaryPort }, /^REWIND_E_PITR_INVALID: port \d+ is already in use/);
      await refused({ backup: { ...backup, sha256: '0'.repeat(64) } }, /^REWIND_E_BACKUP_CORRUPT: refusing to restore: checksum mismatch/);
      expect(await codeOf(takeBaseBackup({ url: urlFor(primaryPort), destination: backup.path, executor, binDir: BIN }))).toMatch(/^REWIND_E_PITR_INVALID: destination .* already exists/);
    });

    it('reports a target beyond the archived WAL as a failed recovery, stops the server and removes the new directory', async () => {
      // Nothing archived after this instant holds a commit, so recovery runs out of WAL before reaching it.
      const [{ late }] = (await sql<{ late: string }>(primaryPort, `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS late`)) as [{ late: string }];
      const outcome = await codeOf(restoreToTime(base({ targetTime: late })));
      expect(outcome).toMatch(/^REWIND_E_PITR_FAILED: restore into .* did not finish: .*recovery ended before configured recovery target was reached/);
      expect(existsSync(restoredDir)).toBe(false);
      expect(existsSync(`${restoredDir}.restore.log`)).toBe(true);
      rmSync(`${restoredDir}.restore.log`);
    });

    it('replays the archive up to T into a new data directory: batch A present, batch B absent', async () => {
      const result = await restoreToTime(base());
      started.push(restoredDir);
      expect(result).toMatchObject({ dataDir: restoredDir, port: restoredPort, targetTime: target });
      expect(result.timeline).toBeGreaterThanOrEqual(2);
      expect(result.stoppedAt).toMatch(/^recovery stopping before commit of transaction \d+/);
      expect(result.lastReplayedCommit! <= target).toBe(true);

      const rows = await sql<{ batch: string; n: string }>(restoredPort, 'SELECT batch, count(*) AS n FROM orders GROUP BY batch ORDER BY batch');
      expect(rows).toEqual([{ batch: 'A', n: '100' }]);
      const [state] = await sql<{ recovering: boolean }>(restoredPort, 'SELECT pg_is_in_recovery() AS recovering');
      expect(state!.recovering).toBe(false);
      // Promoted and writable; and it never archives into the source's archive.
      await sql(restoredPort, "INSERT INTO orders VALUES (1000, 'after-restore')");
      const restoredCheck = await checkPitr({ url: urlFor(restoredPort) });
      expect(restoredCheck.checks.find((check) => check.name === 'archive_mode')!.ok).toBe(false);
      expect(readdirSync(archiveDir).some((file) => file.startsWith('00000002'))).toBe(false);
      // The source is untouched.
      expect(await sql(primaryPort, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 150 }]);
    });

    it('reports a gap in the archived segments, naming the missing file', async () => {
      const gapDir = join(root, 'gapped-archive');
      cpSync(archiveDir, gapDir, { recursive: true });
      const segments = readdirSync(gapDir).filter((file) => /^[0-9A-F]{24}$/.test(file)).sort();
      expect(segments.length).toBeGreaterThanOrEqual(3);
      const missing = segments[1]!;
      rmSync(join(gapDir, missing));
      writeFileSync(join(gapDir, 'README'), 'not a segment\n');
      const result = await checkPitr({ url: urlFor(primaryPort), archiveDir: gapDir });
      expect(result.ok).toBe(false);
      const continuity = result.checks.find((check) => check.name === 'archive_continuity')!;
      expect(continuity.ok).toBe(false);
      expect(continuity.detail).toContain(`timeline 1 is missing ${missing} (1 segment)`);
    });
  });
});

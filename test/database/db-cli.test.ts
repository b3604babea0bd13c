import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/sandbox.js';

// `rewind db …` end to end through the built CLI, on a SQLite database (and a PostgreSQL URL for the
// dry-run and unreachable cases, whose password must never be printed).
const SECRET = 'Sekr3t-Passw0rd-xyz';
const runtime = `      runtime:
        type: command
        start: ["true"]
        reload: ["true"]`;

describe('rewind db', () => {
  let root: string;
  let config: string;
  const cli = (...args: string[]) => runCli([...args, '--config', config]);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'rewind-db-cli-'));
    config = join(root, 'rewind.yaml');
    writeFileSync(
      config,
      `version: 1
ledger: ./rewind.db
log:
  file: ./events.log
environments:
  staging:
    target:
      type: releases
      path: ./srv
${runtime}
    database:
      engine: sqlite
      path: ./app.db
      criticalTables: [users]
  pg:
    target:
      type: releases
      path: ./srv-pg
${runtime}
    database:
      engine: postgres
      url: postgres://root:${SECRET}@127.0.0.1:1/test
  nodb:
    target:
      type: releases
      path: ./srv2
${runtime}
`,
    );
    const app = new Database(join(root, 'app.db'));
    app.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY); INSERT INTO users VALUES (1), (2);`);
    app.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('backs up, lists, verifies and prunes', async () => {
    const backup = await cli('db', 'backup', 'staging', '--json');
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const { backup: record } = JSON.parse(backup.stdout) as { backup: { id: number; path: string; sha256: string; rowCounts: Record<string, number> } };
    expect(record.rowCounts).toEqual({ users: 2 });
    expect(record.path.startsWith(join(root, 'backups', 'staging'))).toBe(true);

    const list = await cli('db', 'list', 'staging', '--json');
    expect(JSON.parse(list.stdout).map((b: { id: number }) => b.id)).toEqual([record.id]);
    const human = await cli('db', 'list', 'staging');
    expect(human.stdout).toContain(record.sha256.slice(0, 12));

    const verify = await cli('db', 'verify', String(record.id));
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('ok');

    const prune = await cli('db', 'prune', 'staging', '--dry-run', '--json');
    expect(prune.code).toBe(0);
    expect(JSON.parse(prune.stdout)).toMatchObject({ dryRun: true, deleted: [] });

    const log = readFileSync(join(root, 'ops', 'backups.log'), 'utf8').trim().split('\n');
    expect(JSON.parse(log.at(-1)!)).toMatchObject({ env: 'staging', id: record.id, sha256: record.sha256 });

    const bytes = readFileSync(record.path);
    bytes[bytes.length - 10] ^= 0x40;
    writeFileSync(record.path, bytes);
    const corrupt = await cli('db', 'verify', record.path, '--env', 'staging');
    expect(corrupt.code).toBe(3);
    expect(corrupt.stderr).toContain('REWIND_E_BACKUP_CORRUPT');
    expect(corrupt.stderr).toContain('checksum mismatch');
  });

  it('prints the dump argv on --dry-run, without the password', async () => {
    const dry = await cli('db', 'backup', 'pg', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/\$ pg_dump --format=custom --compress=0 --dbname=postgres:\/\/root@127\.0\.0\.1:1\/test \| zstd -1|\$ pg_dump --format=custom --compress=1/);
    expect(dry.stdout + dry.stderr).not.toContain(SECRET);
  });

  it('reports coded errors: no database, unreachable (password redacted), usage', async () => {
    const none = await cli('db', 'backup', 'nodb');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('REWIND_E_NO_DATABASE');
    const down = await cli('db', 'backup', 'pg', '--json');
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('REWIND_E_DB_UNREACHABLE');
    expect(down.stdout + down.stderr).not.toContain(SECRET);
    const usage = await cli('db', 'explode', 'staging');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('REWIND_E_USAGE');
  });
});

import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from '../support/app-database.js';
import { createSandbox, ENV, type Sandbox } from '../support/sandbox.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * Issue "Never wedged", item 9: a restore stops the app before it touches the database. When it
 * then fails before the database changed, the app must not stay down with `status` saying all is
 * well: it is started again (the database is as it was), and the report says so.
 */
describe('a restore that fails before the database changed starts the app again (real PostgreSQL, real PM2)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  let bin: string;

  /** Points the engine's pg_dump at the real one, or at one that fails as a full disk would. */
  async function pgDump(working: boolean) {
    await rm(join(bin, 'pg_dump'), { force: true });
    if (working) await symlink(join(PG_BIN, 'pg_dump'), join(bin, 'pg_dump'));
    else {
      await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump: error: could not write to output file: No space left on device" >&2\nexit 1\n');
      await chmod(join(bin, 'pg_dump'), 0o755);
    }
  }

  beforeAll(async () => {
    db = await createAppDatabase('rewind_restore_undo');
    await db.migrate({ 'prisma/migrations/20250101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text);\n' });
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root, '').replace('      backupDir:', `      binDir: ${join(root, 'pgbin')}\n      backupDir:`) });
    bin = join(sandbox.root, 'pgbin');
    await mkdir(bin, { recursive: true });
    for (const tool of ['pg_restore', 'psql']) await symlink(join(PG_BIN, tool), join(bin, tool));
    await pgDump(true);
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    for (const version of ['1.0.0', '1.1.0']) expect((await sandbox.cli(['deploy', ENV, version])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('the safety backup fails after the app was stopped: the app serves again and the error says so', async () => {
    await pgDump(false);
    const result = await sandbox.cli(['db', 'restore', ENV, '--yes', '--json']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('at db-safety-backup');
    expect(result.stderr).toContain('the database is as it was, and 1.1.0, stopped for the restore, serves again');
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => e.event === 'app_restarted')).toMatchObject({ to: '1.1.0', success: true });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
    const status = JSON.parse((await sandbox.cli(['status', ENV, '--json'])).stdout) as { agreement: { agree: boolean }; unfinished: unknown[]; lock: unknown };
    expect(status).toMatchObject({ agreement: { agree: true }, unfinished: [], lock: null });
    await pgDump(true);
  });
});

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from './package-root.js';
import { openSqliteDatabase, sqliteAddonIn } from './sqlite-database.js';

const REAL = join(packageRoot(), 'node_modules', 'better-sqlite3');
const scratch = mkdtempSync(join(tmpdir(), 'rewind-sqlite-addon-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('openSqliteDatabase: better-sqlite3 with its addon found in its own folder', () => {
  it('opens a database (the addon where node-gyp builds it, named by path)', async () => {
    expect(sqliteAddonIn(REAL)).toBe(join(REAL, 'build', 'Release', 'better_sqlite3.node'));
    const db = await openSqliteDatabase(join(scratch, 'a.db'));
    try {
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42)');
      expect(db.prepare('SELECT x FROM t').get()).toEqual({ x: 42 });
    } finally {
      db.close();
    }
  });

  it('an addon elsewhere in the package is what `bindings` finds from the package, not from rewind', () => {
    // A package whose addon is where only `bindings` looks (out/Release), with `bindings` installed beside it.
    const root = join(scratch, 'elsewhere', 'better-sqlite3');
    mkdirSync(join(root, 'out', 'Release'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"name":"better-sqlite3"}');
    copyFileSync(join(REAL, 'build', 'Release', 'better_sqlite3.node'), join(root, 'out', 'Release', 'better_sqlite3.node'));
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(dirname(createRequire(join(REAL, 'package.json')).resolve('bindings/package.json')), join(root, 'node_modules', 'bindings'));
    // In a process of its own: one process loads one copy of an addon.
    const code = `import('${join(packageRoot(), 'dist', 'util', 'sqlite-database.js')}').then((m) => { const a = m.sqliteAddonIn(process.argv[1]); console.log(typeof a, typeof a.Database); })`;
    const result = spawnSync(process.execPath, ['-e', code, root], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('object function\n');
  });
});

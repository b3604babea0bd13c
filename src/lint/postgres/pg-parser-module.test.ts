import { describe, expect, it } from 'vitest';
import { loadPgParser } from './pg-parser-module.js';

/** The direct WebAssembly calls must answer exactly what libpg-query's own wrapper answers. */
describe('pg parser module', () => {
  const inputs = [
    'SELECT 1',
    "ALTER TABLE users ADD COLUMN nickname text DEFAULT 'é☃😀';\n-- commentaire: naïve\nDROP TABLE films;",
    'CREATE INDEX CONCURRENTLY i ON t (a); SELECT $$ ; $$',
    "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$;",
    'SELECT * FORM users',
    "SELECT 'ünterminated",
    'SELECT \ud800 AS lone',
    `SELECT ${'x'.repeat(100_000)}`,
    // After a longer text the shared input buffer still holds its tail: only the new text may be seen.
    'DROP TABLE films',
    'SELECT 1;',
  ];

  it('parses, scans and reports errors like libpg-query.parseSync/scanSync', async () => {
    const ours = await loadPgParser();
    const theirs = await import('libpg-query');
    await theirs.loadModule();
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() };
      } catch (error) {
        return { error: (error as Error).message, details: (error as { sqlDetails?: unknown }).sqlDetails };
      }
    };
    for (const sql of inputs) {
      expect(outcome(() => ours.parseSync(sql)), sql.slice(0, 40)).toEqual(outcome(() => theirs.parseSync(sql)));
      expect(outcome(() => ours.scanSync(sql)), sql.slice(0, 40)).toEqual(outcome(() => theirs.scanSync(sql)));
    }
    const fn = "CREATE FUNCTION f() RETURNS void AS $$ BEGIN UPDATE t SET a = 'é'; END $$ LANGUAGE plpgsql";
    expect(outcome(() => ours.parsePlPgSQLSync(fn))).toEqual(outcome(() => theirs.parsePlPgSQLSync(fn)));
    expect(outcome(() => ours.parsePlPgSQLSync('CREATE FUNCTION f( AS'))).toEqual(outcome(() => theirs.parsePlPgSQLSync('CREATE FUNCTION f( AS')));
    expect(() => ours.parseSync('')).toThrow('Query cannot be empty');
  });
});

import { describe, expect, it } from 'vitest';
import { lintMigrations } from '../run/lint-sql.js';
import { scanSqlish } from './sqlish-statement-scanner.js';
import { SourcePositionMap } from '../source-position-map.js';

// MySQL and SQLite have no server parser in npm; node-sql-parser is used as a best effort, and the
// result says so.
describe('MySQL and SQLite (best effort)', () => {
  for (const engine of ['mysql', 'sqlite'] as const) {
    it(`${engine}: flags DROP COLUMN and says the parser is best effort`, async () => {
      const result = await lintMigrations([{ path: 'm.sql', sql: 'ALTER TABLE users ADD COLUMN nickname TEXT;\nALTER TABLE users DROP COLUMN legacy;\n' }], { engine });
      expect(result.findings.map((f) => `${f.code} ${f.class} ${f.line}`)).toEqual(['RW102 breaking 2', 'RW302 irreversible 2']);
      expect(result.verdict).toBe('breaking');
      expect(result.engine).toBe(engine);
      expect(result.notes).toHaveLength(1);
      expect(result.notes[0]).toMatch(new RegExp(`^${engine}: best-effort parser`));
    });
  }

  it('reports a statement node-sql-parser cannot read as RW001 instead of skipping it', async () => {
    const result = await lintMigrations([{ path: 'm.sql', sql: 'DROP PROCEDURE cleanup;\n' }], { engine: 'mysql' });
    expect(result.findings.map((f) => f.code)).toEqual(['RW001']);
    expect(result.findings[0]!.message).toContain('best-effort mysql parser');
  });

  it('scans MySQL quoting, comments and DELIMITER blocks without splitting inside them', () => {
    const sql = [
      "SELECT 'it\\'s; -- not a comment';",
      '# DROP TABLE hidden;',
      'SELECT `a;b` FROM t; -- trailing',
      'DELIMITER $$',
      'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$',
      'DELIMITER ;',
      'SELECT 3',
    ].join('\n');
    const { statements, comments } = scanSqlish(new SourcePositionMap(sql), 'mysql');
    expect(statements.map((s) => [s.firstWord, s.span.startLine])).toEqual([
      ['SELECT', 1],
      ['SELECT', 3],
      ['CREATE', 5],
      ['SELECT', 7],
    ]);
    expect(statements[2]!.text).toBe('CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END');
    expect(comments.map((c) => c.text)).toEqual(['# DROP TABLE hidden;', '-- trailing']);
  });

  it('keeps a SQLite trigger body (with CASE … END inside) in one statement', () => {
    const sql = "CREATE TRIGGER t AFTER UPDATE ON a BEGIN\n  UPDATE b SET x = CASE WHEN NEW.y THEN 1 ELSE 0 END;\n  DELETE FROM c;\nEND;\nSELECT [odd;name] FROM a;";
    const { statements } = scanSqlish(new SourcePositionMap(sql), 'sqlite');
    expect(statements.map((s) => s.span.startLine)).toEqual([1, 5]);
  });
});

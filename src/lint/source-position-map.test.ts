import { describe, expect, it } from 'vitest';
import { lintMigrations } from './run/lint-sql.js';
import { SourcePositionMap } from './source-position-map.js';

describe('source positions', () => {
  it('maps UTF-8 byte offsets to characters, lines and columns', () => {
    const sql = 'é\n🚀x\r\nabc';
    const map = new SourcePositionMap(sql);
    // bytes: é=2, \n=1, 🚀=4, x=1, \r\n=2
    expect(map.charOfByte(0)).toBe(0);
    expect(map.charOfByte(2)).toBe(1); // the newline
    expect(map.charOfByte(3)).toBe(2); // the rocket (two UTF-16 units)
    expect(map.charOfByte(7)).toBe(4); // x
    expect(map.positionOf(map.charOfByte(7))).toEqual({ line: 2, column: 3 });
    expect(map.positionOf(map.charOfByte(10))).toEqual({ line: 3, column: 1 });
    expect(map.sliceBytes(3, 8)).toBe('🚀x');
  });

  it('takes the ASCII fast path without changing results', () => {
    const map = new SourcePositionMap('a\nbc\n');
    expect(map.charOfByte(3)).toBe(3);
    expect(map.positionOf(3)).toEqual({ line: 2, column: 2 });
    expect(map.lineOf(5)).toBe(3);
  });

  it('reports the line and column of each statement, after multi-byte text and CRLF endings', async () => {
    const sql = "-- Grüße 🚀\r\nSELECT 'ü'; DROP TABLE a;\r\n\r\n  ALTER TABLE\r\n    b DROP COLUMN c;\r\n";
    const { findings } = await lintMigrations([{ path: 'x.sql', sql }]);
    expect(findings.map((f) => [f.code, f.line, f.column])).toEqual([
      ['RW101', 2, 13],
      ['RW301', 2, 13],
      ['RW102', 4, 3],
      ['RW302', 4, 3],
    ]);
    expect(findings[2]!.statement).toBe('ALTER TABLE\r\n    b DROP COLUMN c');
  });

  it('reports a syntax error at the line and column where the parser stopped', async () => {
    const { findings } = await lintMigrations([{ path: 'x.sql', sql: "SELECT 'é';\nALTER TABLE t ADD COLUMN ,;\n" }]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'RW001', class: 'unchecked', line: 2, column: 26 });
  });

  it('places statements inside DO blocks on their own line', async () => {
    const sql = 'SELECT 1;\nDO $$\nBEGIN\n  PERFORM 1;\n  ALTER TABLE t DROP COLUMN c;\nEND $$;\n';
    const { findings } = await lintMigrations([{ path: 'x.sql', sql }]);
    expect(findings.map((f) => `${f.code}@${f.line}`)).toEqual(['RW102@5', 'RW302@5']);
    expect(findings[0]!.statement).toBe('ALTER TABLE t DROP COLUMN c');
  });

  it('treats an empty file as no statements and ignores a UTF-8 byte order mark', async () => {
    for (const engine of ['postgres', 'mysql', 'sqlite'] as const) {
      const empty = await lintMigrations([{ path: 'e.sql', sql: '' }], { engine });
      expect(empty).toMatchObject({ statements: 0, findings: [], verdict: 'additive' });
      const bom = await lintMigrations([{ path: 'b.sql', sql: '\uFEFFDROP TABLE a;' }], { engine });
      expect(bom.findings.map((f) => [f.code, f.line, f.column])).toEqual([
        ['RW101', 1, 1],
        ['RW301', 1, 1],
      ]);
    }
  });
});

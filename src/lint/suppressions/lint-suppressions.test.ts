import { describe, expect, it } from 'vitest';
import { lintMigrations } from '../run/lint-sql.js';
import { parseSuppressionDirective } from './suppression-directive.js';

const lint = async (sql: string) => lintMigrations([{ path: 'm.sql', sql }]);
const codes = (items: { code: string; line: number }[]) => items.map((f) => `${f.code}@${f.line}`);

describe('suppression directives', () => {
  it('reads codes (space or comma separated, any case, optional colon) and the reason', () => {
    expect(parseSuppressionDirective('-- rewind:ignore RW101 reason here')).toEqual({ codes: ['RW101'], reason: 'reason here' });
    expect(parseSuppressionDirective('--rewind:ignore rw101,RW301: two codes')).toEqual({ codes: ['RW101', 'RW301'], reason: 'two codes' });
    expect(parseSuppressionDirective('/* rewind:ignore RW201 RW212 small\n * table */')).toEqual({ codes: ['RW201', 'RW212'], reason: 'small table' });
    expect(parseSuppressionDirective('# rewind:ignore RW102 mysql comment')).toEqual({ codes: ['RW102'], reason: 'mysql comment' });
    expect(parseSuppressionDirective('-- rewind:ignore RW101')).toEqual({ codes: ['RW101'], reason: '' });
    expect(parseSuppressionDirective('-- rewind:ignore because')).toEqual({ codes: [], reason: 'because' });
  });

  it('ignores comments that merely mention the marker later on', () => {
    expect(parseSuppressionDirective('-- TODO: rewind:ignore RW101 later')).toBeUndefined();
    expect(parseSuppressionDirective('-- plain comment')).toBeUndefined();
  });

  it('suppresses only the named code, only on its statement, and keeps the reason', async () => {
    const result = await lint('-- rewind:ignore RW102 unused since 2.3\nALTER TABLE users DROP COLUMN legacy;\nALTER TABLE users DROP COLUMN other;\n');
    expect(codes(result.findings)).toEqual(['RW302@2', 'RW102@3', 'RW302@3']);
    expect(result.suppressed).toHaveLength(1);
    expect(result.suppressed[0]).toMatchObject({ code: 'RW102', line: 2, reason: 'unused since 2.3', class: 'breaking' });
  });

  it('a trailing comment applies to its own statement before the next one', async () => {
    const result = await lint('DROP TABLE a; -- rewind:ignore RW101 scratch\nDROP TABLE b;\n');
    expect(codes(result.suppressed)).toEqual(['RW101@1']);
    expect(codes(result.findings)).toEqual(['RW301@1', 'RW101@2', 'RW301@2']);
  });

  it('a comment trailing a statement without that finding falls through to the statement below', async () => {
    const result = await lint('SELECT 1; -- rewind:ignore RW101 meant for the next line\nDROP TABLE b;\n');
    expect(codes(result.suppressed)).toEqual(['RW101@2']);
  });

  it('applies to every statement starting on the next line', async () => {
    const result = await lint("-- rewind:ignore RW101 both scratch tables\nSELECT '--'; DROP TABLE films;\n");
    expect(codes(result.suppressed)).toEqual(['RW101@2']);
  });

  it('without a reason suppresses nothing and is itself RW003', async () => {
    const result = await lint('-- rewind:ignore RW101\nDROP TABLE a;\n');
    expect(result.suppressed).toEqual([]);
    expect(codes(result.findings)).toEqual(['RW003@1', 'RW101@2', 'RW301@2']);
    expect(result.findings[0]!.class).toBe('invalid');
  });

  it('an unknown or unused code is RW005; a blank line detaches the comment', async () => {
    const unknown = await lint('-- rewind:ignore RW999 typo\nDROP TABLE a;\n');
    expect(codes(unknown.findings)).toEqual(['RW005@1', 'RW101@2', 'RW301@2']);
    const detached = await lint('-- rewind:ignore RW101 too far away\n\nDROP TABLE a;\n');
    expect(codes(detached.findings)).toEqual(['RW005@1', 'RW101@3', 'RW301@3']);
    expect(detached.findings[0]!.message).toContain('not on or just above a statement');
  });

  it('comment markers inside strings and dollar quotes are not directives', async () => {
    const result = await lint("SELECT '-- rewind:ignore RW101 not a comment'; SELECT $$ /* rewind:ignore RW101 x */ $$;\nDROP TABLE a;\n");
    expect(result.suppressed).toEqual([]);
    expect(codes(result.findings)).toEqual(['RW101@2', 'RW301@2']);
  });

  it('a directive before a DO block covers the statements inside it', async () => {
    const result = await lint('-- rewind:ignore RW002 reviewed: only creates a partition\nDO $$ BEGIN EXECUTE \'CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)\'; END $$;\n');
    expect(result.findings).toEqual([]);
    expect(codes(result.suppressed)).toEqual(['RW002@2']);
  });
});

import { describe, expect, it } from 'vitest';
import { lintMigrations, lintMigrationsSync, prepareLinter } from '../run/lint-sql.js';

// The verdict is what the rollback planner reads: additive means the previous release can run
// against the new schema, so rolling back the code alone is safe.
describe('rollback verdict', () => {
  it('is additive for expand-only migrations, even with locking findings', async () => {
    const result = await lintMigrations([
      { path: '001.sql', sql: 'CREATE TABLE t (id int);\nALTER TABLE users ADD COLUMN nickname text;' },
      { path: '002.sql', sql: 'CREATE INDEX users_nickname_idx ON users (nickname);' },
    ]);
    expect(result.verdict).toBe('additive');
    expect(result.findings.map((f) => f.class)).toEqual(['locking']);
    expect(result.reasons[0]).toContain('code-only rollback is safe');
    expect(result).toMatchObject({ files: 2, statements: 3, engine: 'postgres', notes: [] });
  });

  it('is breaking when any file has an unsuppressed breaking finding, with file:line reasons', async () => {
    const result = await lintMigrations([
      { path: '001.sql', sql: 'ALTER TABLE users ADD COLUMN nickname text;' },
      { path: '002.sql', sql: 'SELECT 1;\nALTER TABLE users RENAME COLUMN name TO full_name;' },
    ]);
    expect(result.verdict).toBe('breaking');
    expect(result.reasons).toEqual([expect.stringMatching(/^002\.sql:2 RW104 rename column: renames column users\.name to full_name/)]);
  });

  it('is additive when the breaking finding was suppressed with a reason, and says so', async () => {
    const result = await lintMigrations([{ path: 'a.sql', sql: '-- rewind:ignore RW102 column unused since 2.3\nALTER TABLE users DROP COLUMN legacy;' }]);
    expect(result.verdict).toBe('additive');
    expect(result.reasons.some((r) => r.includes('RW102 suppressed ("column unused since 2.3")'))).toBe(true);
    // The data loss is still reported: reverting needs the backup.
    expect(result.reasons.some((r) => r.includes('RW302') && r.includes('pre-upgrade backup'))).toBe(true);
  });

  it('fails closed: SQL that could not be checked makes the verdict breaking', async () => {
    const broken = await lintMigrations([{ path: 'a.sql', sql: 'ALTER TABLE users ADD COLUMN ,;' }]);
    expect(broken.verdict).toBe('breaking');
    expect(broken.reasons[0]).toContain('could not be checked');
    const dynamic = await lintMigrations([{ path: 'b.sql', sql: "DO $$ BEGIN EXECUTE 'ALTER TABLE t DROP COLUMN c'; END $$;" }]);
    expect(dynamic.verdict).toBe('breaking');
    expect(dynamic.findings.map((f) => f.code)).toEqual(['RW002']);
  });

  it('irreversible-only findings keep the verdict additive', async () => {
    const result = await lintMigrations([{ path: 'a.sql', sql: 'DELETE FROM sessions;' }]);
    expect(result.verdict).toBe('additive');
    expect(result.reasons[1]).toContain('RW304');
  });

  it('groups reasons by rule when there are many', async () => {
    const sql = Array.from({ length: 30 }, (_, i) => `ALTER TABLE t${i} DROP COLUMN c;`).join('\n');
    const result = await lintMigrations([{ path: 'many.sql', sql }]);
    expect(result.verdict).toBe('breaking');
    expect(result.reasons[0]).toBe('RW102 drop column ×30: many.sql:1, many.sql:2, many.sql:3, …');
  });

  it('has a synchronous door once the parser is loaded, and is pure (same input, same output)', async () => {
    await prepareLinter('postgres');
    const files = [{ path: 'a.sql', sql: 'DROP TABLE a;' }];
    expect(lintMigrationsSync(files)).toEqual(lintMigrationsSync(files));
    expect(lintMigrationsSync(files).verdict).toBe('breaking');
  });
});

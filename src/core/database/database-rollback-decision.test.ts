import { describe, expect, it } from 'vitest';
import { decideDatabaseRollback, type ReleaseDatabaseFacts } from './database-rollback-decision.js';

const backup = (id: number) => ({ id, sha256: `sha256:${id}`, path: `/b/${id}.dump` });
const release = (version: string, over: Partial<ReleaseDatabaseFacts> = {}): ReleaseDatabaseFacts => ({
  version,
  migrations: [],
  verdict: 'none',
  reasons: [],
  preUpgradeBackup: backup(Number(version.split('.')[1])),
  ...over,
});
const migration = (name: string, hasDown = true) => ({ id: name, name, hasDown });

describe('database-aware rollback decision', () => {
  it('is code-only without a database, or without migrations since the LKG', () => {
    expect(decideDatabaseRollback({ hasDatabase: false, since: [release('1.1.0')] }).mode).toBe('code-only');
    expect(decideDatabaseRollback({ hasDatabase: true, since: [release('1.1.0')] })).toMatchObject({ mode: 'code-only', reasons: [expect.stringContaining('no migration')] });
  });

  it('is code-only when every migration since the LKG is additive, and says which', () => {
    const d = decideDatabaseRollback({
      hasDatabase: true,
      since: [release('1.1.0', { migrations: [migration('001_add_col')], verdict: 'additive' }), release('1.2.0', { migrations: [migration('002_add_table')], verdict: 'additive' })],
    });
    expect(d.mode).toBe('code-only');
    expect(d.reasons[0]).toContain('001_add_col, 002_add_table are additive');
  });

  it('restores the backup taken just before the first breaking release, keeping the additive ones before it', () => {
    const d = decideDatabaseRollback({
      hasDatabase: true,
      since: [
        release('1.1.0', { migrations: [migration('001_add_col')], verdict: 'additive' }),
        release('1.2.0', { migrations: [migration('002_drop_col')], verdict: 'breaking', reasons: ['RW101 drop column users.name'] }),
        release('1.3.0', { migrations: [migration('003_add_table')], verdict: 'additive' }),
      ],
    });
    expect(d).toMatchObject({ mode: 'restore', backup: { id: 2, takenBefore: '1.2.0' }, undoes: ['1.2.0', '1.3.0'] });
    expect(d.reasons).toContain('1.2.0: RW101 drop column users.name');
  });

  it('falls back to an older backup when the breaking release has none, undoing more', () => {
    const d = decideDatabaseRollback({
      hasDatabase: true,
      since: [
        release('1.1.0', { migrations: [migration('001_add_col')], verdict: 'additive' }),
        release('1.2.0', { migrations: [migration('002_drop_col')], verdict: 'breaking', preUpgradeBackup: null }),
      ],
    });
    expect(d).toMatchObject({ mode: 'restore', backup: { id: 1, takenBefore: '1.1.0' }, undoes: ['1.1.0', '1.2.0'] });
  });

  it('treats migrations it could not check as breaking', () => {
    const d = decideDatabaseRollback({ hasDatabase: true, since: [release('1.3.0', { migrations: [migration('003.js')], verdict: 'unknown' })] });
    expect(d).toMatchObject({ mode: 'restore', reasons: [expect.stringContaining('migrations are unknown'), expect.any(String)] });
  });

  it('freezes when a breaking migration has no backup to restore', () => {
    const d = decideDatabaseRollback({ hasDatabase: true, since: [release('1.1.0', { migrations: [migration('x')], verdict: 'breaking', preUpgradeBackup: null })] });
    expect(d.mode).toBe('freeze');
    expect(d.reasons.at(-1)).toContain('roll forward');
  });

  it('honours --db down only for exactly one migration that has a down (never chained)', () => {
    const one = decideDatabaseRollback({ hasDatabase: true, override: 'down', since: [release('1.1.0', { migrations: [migration('001')], verdict: 'breaking' })] });
    expect(one).toMatchObject({ mode: 'down', down: { release: '1.1.0', id: '001' } });
    const two = decideDatabaseRollback({ hasDatabase: true, override: 'down', since: [release('1.1.0', { migrations: [migration('001'), migration('002')] })] });
    expect(two.mode).toBe('freeze');
    expect(two.reasons[0]).toContain('never chain');
    const noDown = decideDatabaseRollback({ hasDatabase: true, override: 'down', since: [release('1.1.0', { migrations: [migration('001', false)] })] });
    expect(noDown).toMatchObject({ mode: 'freeze', reasons: [expect.stringContaining('has no down migration')] });
  });

  it('honours --db restore and --db skip', () => {
    const since = [release('1.1.0', { migrations: [migration('001')], verdict: 'additive' })];
    expect(decideDatabaseRollback({ hasDatabase: true, override: 'restore', since })).toMatchObject({ mode: 'restore', backup: { id: 1 }, undoes: ['1.1.0'] });
    expect(decideDatabaseRollback({ hasDatabase: true, override: 'skip', since: [release('1.1.0', { migrations: [migration('001')], verdict: 'breaking' })] })).toMatchObject({
      mode: 'code-only',
      reasons: [expect.stringContaining('--db skip')],
    });
  });
});

import { describe, expect } from 'vitest';
import type { Ledger } from '../../src/ports/ledger.js';
import type { ContractCases } from './contract-suite.js';

/**
 * The drill part of the Ledger contract (src/ports/ledger-drills.ts): drill rows recorded, finished
 * and listed newest first; a drill release never the last known good; a backup's test restore.
 */
export function ledgerDrillCases(cases: ContractCases, ledgers: () => { ledger: Ledger; second: Ledger }, freshEnv: (label: string) => string, T0: number): void {
  describe('drills', () => {
    cases.it('a drill release is recorded as one and is never the last known good, even when marked good', async () => {
      const { ledger, second } = ledgers();
      const env = freshEnv('drill-lkg');
      await ledger.registerRelease({ env, version: '1.0.0', artifact: '/a', digest: 'sha256:1', commit: null, ci: 'passed' }, T0);
      await ledger.markReleaseGood(env, '1.0.0', T0 + 1);
      const { release } = await ledger.registerRelease({ env, version: '1.0.0-drill.1', artifact: '/d', digest: 'sha256:2', commit: null, ci: 'passed', drill: true }, T0 + 2);
      expect(release.drill).toBe(true);
      expect((await second.getRelease(env, '1.0.0'))?.drill).toBe(false);
      await ledger.markReleaseGood(env, '1.0.0-drill.1', T0 + 3);
      expect((await second.findLastKnownGood(env, null))?.version).toBe('1.0.0');
      expect(await second.findLastKnownGood(env, '1.0.0')).toBeUndefined();
    });

    cases.it('recordDrill / finishDrill / listDrills roundtrip every field, newest first, filtered by env', async () => {
      const { ledger, second } = ledgers();
      const env = freshEnv('drill-rows');
      const other = freshEnv('drill-other');
      const first = await ledger.recordDrill({ env, kind: 'failure', failure: 'health', actor: 'a@b', forcedReason: null, fromVersion: '1.0.0', drillVersion: '1.0.0-drill.1', backupId: null, startedAt: T0, owner: { host: 'ci-7', pid: 4242 } });
      expect(first).toMatchObject({ env, kind: 'failure', failure: 'health', state: 'running', ttdMs: null, ttrMs: null, finishedAt: null, detail: {} });
      await ledger.finishDrill(first.id, { state: 'passed', deployOperationId: 'op-d', rollbackOperationId: 'op-r', ttdMs: 1234, ttrMs: 5678, detail: { detectedBy: 'health', quote: '"✓"' }, finishedAt: T0 + 10 });
      const database = await ledger.recordDrill({ env, kind: 'database', failure: null, actor: 'a@b', forcedReason: 'rehearsal', fromVersion: null, drillVersion: null, backupId: 7, startedAt: T0 + 20, owner: null });
      await ledger.recordDrill({ env: other, kind: 'database', failure: null, actor: 'x', forcedReason: null, fromVersion: null, drillVersion: null, backupId: 1, startedAt: T0 + 30, owner: null });
      const listed = await second.listDrills({ env });
      expect(listed.map((d) => d.id)).toEqual([database.id, first.id]);
      expect(listed[1]).toEqual({
        id: first.id,
        env,
        kind: 'failure',
        failure: 'health',
        state: 'passed',
        actor: 'a@b',
        forcedReason: null,
        fromVersion: '1.0.0',
        drillVersion: '1.0.0-drill.1',
        backupId: null,
        deployOperationId: 'op-d',
        rollbackOperationId: 'op-r',
        ttdMs: 1234,
        ttrMs: 5678,
        detail: { detectedBy: 'health', quote: '"✓"' },
        startedAt: T0,
        finishedAt: T0 + 10,
        owner: { host: 'ci-7', pid: 4242 },
      });
      expect(listed[0]).toMatchObject({ kind: 'database', backupId: 7, forcedReason: 'rehearsal', state: 'running', owner: null });
      // A finished drill is not finished again (one closed as interrupted stays as it was closed).
      await ledger.finishDrill(first.id, { state: 'failed', deployOperationId: null, rollbackOperationId: null, ttdMs: null, ttrMs: null, detail: { gap: 'late' }, finishedAt: T0 + 40 });
      expect((await second.listDrills({ env }))[1]).toMatchObject({ state: 'passed', ttdMs: 1234, finishedAt: T0 + 10 });
      expect((await second.listDrills({ env, limit: 1 })).map((d) => d.id)).toEqual([database.id]);
      expect((await second.listDrills()).some((d) => d.env === other)).toBe(true);
    });

    cases.it('recordBackupTestRestore records the last test restore on the backup; a new backup has none', async () => {
      const { ledger, second } = ledgers();
      const env = freshEnv('drill-backup');
      const backup = await ledger.recordBackup({ env, releaseVersion: null, kind: 'manual', engine: 'postgres', format: 'pg-custom', path: '/b', size: 1, sha256: 'x', migrationState: [], rowCounts: {}, createdAt: T0 });
      expect(backup.testRestore).toBeNull();
      await ledger.recordBackupTestRestore(backup.id, { at: T0 + 1, ok: false, reason: 'rows of users', drillId: 3 });
      await ledger.recordBackupTestRestore(backup.id, { at: T0 + 2, ok: true, drillId: 4 });
      expect((await second.getBackup(backup.id))?.testRestore).toEqual({ at: T0 + 2, ok: true, drillId: 4 });
      expect((await second.listBackups(env))[0]?.testRestore).toEqual({ at: T0 + 2, ok: true, drillId: 4 });
    });
  });
}

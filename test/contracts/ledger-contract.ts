import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { IncidentRollbackFacts, Ledger, LockRecord, LockRequest, NewRelease, OperationRecord } from '../../src/ports/ledger.js';
import { contractSuite, type ContractRun } from './contract-suite.js';
import { ledgerOutboxCases } from './ledger-outbox-cases.js';
import { ledgerDrillCases } from './ledger-drill-cases.js';

/**
 * The ledger contract: one suite that every Ledger backend runs (in the style of Hono's
 * `common.case.test.ts`). A backend test file supplies a factory for its store and calls
 * `ledgerContract` once.
 */
export interface LedgerContractOptions extends ContractRun {
  /** Opens the ledger on the store (migrating it if needed). May be called more than once. */
  open(): Promise<Ledger>;
  /** A second, independent connection to the same store. */
  openSecond(): Promise<Ledger>;
  /** Runs raw SQL on the store outside the ledger; rejects when the statement fails. */
  rawExec(sql: string): Promise<void>;
  /** Removes the store. Called once, after every ledger the suite opened has been closed. */
  cleanup(): Promise<void>;
}

/** A realistic epoch-ms base, well beyond 32-bit range, so bigint/integer handling is exercised. */
const T0 = 1_717_171_717_000;

let envCounter = 0;
/** Every test works in its own environment, so tests sharing one store cannot see each other. */
function freshEnv(label: string): string {
  envCounter += 1;
  return `${label}-${envCounter}-${Math.random().toString(16).slice(2, 8)}`;
}

function expectEpoch(value: unknown, expected: number): void {
  expect(typeof value).toBe('number');
  expect(value).toBe(expected);
}

function newRelease(env: string, version: string, overrides: Partial<NewRelease> = {}): NewRelease {
  return { env, version, artifact: `/artifacts/app-${version}.tgz`, digest: `sha256:${version}`, commit: null, ci: 'passed', ...overrides };
}

function newOperation(env: string, id: string, overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    id,
    env,
    kind: 'deploy',
    fromVersion: null,
    toVersion: '1.0.0',
    state: 'running',
    plan: { steps: [] },
    actor: 'tester',
    parentId: null,
    reason: null,
    error: null,
    startedAt: T0,
    finishedAt: null,
    ...overrides,
  };
}

function lockRequest(env: string, token: string, overrides: Partial<LockRequest> = {}): LockRequest {
  return { env, token, holder: `holder-${token}`, host: `host-${token}`, pid: 4242, operationId: null, ttlMs: 30_000, now: T0, ...overrides };
}

const never = (): boolean => false;
const always = (): boolean => true;

export function ledgerContract(factory: LedgerContractOptions): void {
  contractSuite('Ledger', factory, (cases) => {
    let ledger: Ledger;
    let second: Ledger;
    const opened: Ledger[] = [];

    async function track(open: Promise<Ledger>): Promise<Ledger> {
      const l = await open;
      opened.push(l);
      return l;
    }

    beforeAll(async () => {
      ledger = await track(factory.open());
      second = await track(factory.openSecond());
    });

    afterAll(async () => {
      try {
        for (const l of opened.splice(0)) await l.close();
      } finally {
        await factory.cleanup();
      }
    });

    describe('schema and opening', () => {
      cases.it('reports its dialect, the same on both connections', () => {
        expect(['sqlite', 'postgres']).toContain(ledger.dialect);
        expect(second.dialect).toBe(ledger.dialect);
      });

      cases.it('migrations create every table and record the migration', async () => {
        // Each table exists and has the expected columns: a raw insert of a full row succeeds.
        await factory.rawExec(`INSERT INTO environments (name, current_version, updated_at) VALUES ('raw-env', 'v-raw', ${T0})`);
        await factory.rawExec(
          `INSERT INTO releases (env, version, seq, artifact, digest, commit_sha, ci, state, good_seq, created_at, updated_at)
           VALUES ('raw-env', 'v-raw', 1, 'a', 'd', NULL, 'passed', 'registered', NULL, ${T0}, ${T0})`,
        );
        await factory.rawExec(
          `INSERT INTO operations (id, env, kind, from_version, to_version, state, plan, actor, parent_id, reason, error, started_at, finished_at)
           VALUES ('raw-op', 'raw-env', 'deploy', NULL, 'v-raw', 'running', '{}', 'raw', NULL, NULL, NULL, ${T0}, NULL)`,
        );
        await factory.rawExec(
          `INSERT INTO steps (operation_id, idx, step_id, kind, state, attempt, detail, started_at, finished_at)
           VALUES ('raw-op', 0, 's', 'k', 'running', 1, '{}', ${T0}, NULL)`,
        );
        await factory.rawExec(
          `INSERT INTO locks (env, token, holder, host, pid, operation_id, acquired_at, heartbeat_at, expires_at)
           VALUES ('raw-env', 't', 'h', 'host', 1, NULL, ${T0}, ${T0}, ${T0 + 1})`,
        );
        // The ledger reads the raw rows back through its own mapping.
        expect(await ledger.getEnvironment('raw-env')).toEqual({ name: 'raw-env', currentVersion: 'v-raw', updatedAt: T0 });
        expect((await ledger.getRelease('raw-env', 'v-raw'))?.seq).toBe(1);
        expect((await ledger.getOperation('raw-op'))?.toVersion).toBe('v-raw');
        expect((await ledger.listSteps('raw-op')).map((s) => s.stepId)).toEqual(['s']);
        expect((await ledger.getLock('raw-env'))?.token).toBe('t');
        // The unique (env, version) constraint exists.
        await expect(
          factory.rawExec(
            `INSERT INTO releases (env, version, seq, artifact, digest, commit_sha, ci, state, good_seq, created_at, updated_at)
             VALUES ('raw-env', 'v-raw', 2, 'a', 'd', NULL, 'passed', 'registered', NULL, ${T0}, ${T0})`,
          ),
        ).rejects.toThrow();
        // The migration is recorded exactly once: its name is the migration table's key.
        await expect(factory.rawExec(`INSERT INTO rewind_migration (name, timestamp) VALUES ('0001_initial', 'again')`)).rejects.toThrow();
        await factory.rawExec(`INSERT INTO rewind_migration (name, timestamp) VALUES ('zz_probe', 'x')`);
        await factory.rawExec(`DELETE FROM rewind_migration WHERE name = 'zz_probe'`);
      });

      cases.it('opening again on a migrated store is fine and sees the same data', async () => {
        const env = freshEnv('reopen');
        await ledger.ensureEnvironment(env, T0);
        await ledger.registerRelease(newRelease(env, '1.0.0'), T0);

        const again = await track(factory.open());
        try {
          expect(again.dialect).toBe(ledger.dialect);
          expect(await again.getEnvironment(env)).toEqual({ name: env, currentVersion: null, updatedAt: T0 });
          expect((await again.listReleases(env)).map((r) => r.version)).toEqual(['1.0.0']);
          // And it can write: the first connection sees it.
          await again.registerRelease(newRelease(env, '1.1.0'), T0 + 1);
          expect((await ledger.listReleases(env)).map((r) => [r.version, r.seq])).toEqual([
            ['1.1.0', 2],
            ['1.0.0', 1],
          ]);
        } finally {
          opened.splice(opened.indexOf(again), 1);
          await again.close();
        }
        // Reopening did not re-run the migration (it would fail on existing tables) nor duplicate it.
        await expect(factory.rawExec(`INSERT INTO rewind_migration (name, timestamp) VALUES ('0001_initial', 'again')`)).rejects.toThrow();
      });

      cases.it('the second connection sees writes of the first', async () => {
        const env = freshEnv('two-conns');
        await ledger.ensureEnvironment(env, T0);
        await ledger.setCurrentVersion(env, '2.0.0', T0 + 5);
        expect(await second.getEnvironment(env)).toEqual({ name: env, currentVersion: '2.0.0', updatedAt: T0 + 5 });
      });
    });

    describe('environments', () => {
      cases.it('ensureEnvironment creates the environment once and is idempotent', async () => {
        const env = freshEnv('ensure');
        expect(await ledger.getEnvironment(env)).toBeUndefined();

        const created = await ledger.ensureEnvironment(env, T0);
        expect(created).toEqual({ name: env, currentVersion: null, updatedAt: T0 });
        expectEpoch(created.updatedAt, T0);

        await ledger.setCurrentVersion(env, '1.0.0', T0 + 10);
        // A second ensure (from either connection) neither fails nor resets the row.
        const again = await ledger.ensureEnvironment(env, T0 + 20);
        expect(again).toEqual({ name: env, currentVersion: '1.0.0', updatedAt: T0 + 10 });
        const viaSecond = await second.ensureEnvironment(env, T0 + 30);
        expect(viaSecond).toEqual({ name: env, currentVersion: '1.0.0', updatedAt: T0 + 10 });
        expect(await ledger.getEnvironment(env)).toEqual({ name: env, currentVersion: '1.0.0', updatedAt: T0 + 10 });
      });

      cases.it('setCurrentVersion sets and clears the current version and bumps updatedAt', async () => {
        const env = freshEnv('current');
        const other = freshEnv('current-other');
        await ledger.ensureEnvironment(env, T0);
        await ledger.ensureEnvironment(other, T0);

        await ledger.setCurrentVersion(env, '3.1.4', T0 + 100);
        const after = await ledger.getEnvironment(env);
        expect(after).toEqual({ name: env, currentVersion: '3.1.4', updatedAt: T0 + 100 });
        expectEpoch(after?.updatedAt, T0 + 100);
        // Other environments are untouched.
        expect(await ledger.getEnvironment(other)).toEqual({ name: other, currentVersion: null, updatedAt: T0 });

        await ledger.setCurrentVersion(env, null, T0 + 200);
        expect(await ledger.getEnvironment(env)).toEqual({ name: env, currentVersion: null, updatedAt: T0 + 200 });
      });

      cases.it('getEnvironment returns undefined for an unknown environment', async () => {
        expect(await ledger.getEnvironment(freshEnv('nope'))).toBeUndefined();
      });
    });

    describe('releases', () => {
      cases.it('registerRelease stores the release as registered with the given fields', async () => {
        const env = freshEnv('reg');
        const input = newRelease(env, '1.0.0', { commit: 'abc123', ci: 'unknown', digest: 'sha256:deadbeef', artifact: '/a/b.tgz' });
        const { release, created } = await ledger.registerRelease(input, T0 + 1);
        expect(created).toBe(true);
        expect(release).toEqual({
          env,
          version: '1.0.0',
          seq: 1,
          artifact: '/a/b.tgz',
          digest: 'sha256:deadbeef',
          commit: 'abc123',
          committedAt: null,
          ci: 'unknown',
          state: 'registered',
          goodSeq: null,
          database: null,
          drill: false,
          createdAt: T0 + 1,
          updatedAt: T0 + 1,
        });
        expect(typeof release.seq).toBe('number');
        expectEpoch(release.createdAt, T0 + 1);
        expectEpoch(release.updatedAt, T0 + 1);
        expect(await second.getRelease(env, '1.0.0')).toEqual(release);
        expect(await ledger.getRelease(env, '9.9.9')).toBeUndefined();
      });

      cases.it('registerRelease stores the commit time when given (epoch ms, read back as a number)', async () => {
        const env = freshEnv('commit-time');
        const committedAt = Date.UTC(2026, 8, 1, 12, 30);
        const { release } = await ledger.registerRelease(newRelease(env, '1.0.0', { commit: 'abc1234', committedAt }), T0);
        expect(release.committedAt).toBe(committedAt);
        expect((await second.getRelease(env, '1.0.0'))?.committedAt).toBe(committedAt);
      });

      cases.it('registerRelease assigns seq 1, 2, 3 per environment independently', async () => {
        const a = freshEnv('seq-a');
        const b = freshEnv('seq-b');
        const seqs: Array<[string, string, number]> = [];
        // Interleave the environments so a global counter would be caught.
        for (const [env, version] of [
          [a, 'a1'],
          [b, 'b1'],
          [a, 'a2'],
          [a, 'a3'],
          [b, 'b2'],
        ] as const) {
          const { release, created } = await ledger.registerRelease(newRelease(env, version), T0);
          expect(created).toBe(true);
          seqs.push([env, version, release.seq]);
        }
        expect(seqs).toEqual([
          [a, 'a1', 1],
          [b, 'b1', 1],
          [a, 'a2', 2],
          [a, 'a3', 3],
          [b, 'b2', 2],
        ]);
        // The same version name in another environment is a different release with its own seq.
        const { release: bA1, created } = await ledger.registerRelease(newRelease(b, 'a1'), T0);
        expect(created).toBe(true);
        expect(bA1.seq).toBe(3);
        expect((await ledger.getRelease(a, 'a1'))?.seq).toBe(1);
      });

      cases.it('registerRelease of an existing version returns created:false and the original row, even with another digest', async () => {
        const env = freshEnv('dup');
        const { release: original } = await ledger.registerRelease(newRelease(env, '1.0.0', { digest: 'sha256:one', commit: 'c1' }), T0);
        await ledger.setReleaseState(env, '1.0.0', 'live', T0 + 5);
        const stored = await ledger.getRelease(env, '1.0.0');

        const same = await ledger.registerRelease(newRelease(env, '1.0.0', { digest: 'sha256:one', commit: 'c1' }), T0 + 10);
        expect(same.created).toBe(false);
        expect(same.release).toEqual(stored);

        // A different digest is not decided here: the original comes back unchanged for the caller to compare.
        const conflicting = await second.registerRelease(
          newRelease(env, '1.0.0', { digest: 'sha256:two', artifact: '/other.tgz', commit: 'c2', ci: 'failed' }),
          T0 + 20,
        );
        expect(conflicting.created).toBe(false);
        expect(conflicting.release).toEqual(stored);
        expect(conflicting.release.digest).toBe('sha256:one');
        expect(conflicting.release.seq).toBe(original.seq);

        // Nothing was written: still one release, unchanged, and the next one gets seq 2.
        expect(await ledger.listReleases(env)).toEqual([stored]);
        const { release: next } = await ledger.registerRelease(newRelease(env, '1.1.0'), T0 + 30);
        expect(next.seq).toBe(2);
      });

      cases.it('listReleases returns newest first and honours limit', async () => {
        const env = freshEnv('list');
        const other = freshEnv('list-other');
        for (const [i, v] of ['1.0.0', '1.1.0', '1.2.0', '2.0.0'].entries()) {
          await ledger.registerRelease(newRelease(env, v), T0 + i);
        }
        await ledger.registerRelease(newRelease(other, 'x'), T0);

        const all = await ledger.listReleases(env);
        expect(all.map((r) => [r.version, r.seq])).toEqual([
          ['2.0.0', 4],
          ['1.2.0', 3],
          ['1.1.0', 2],
          ['1.0.0', 1],
        ]);
        expect(all.every((r) => r.env === env)).toBe(true);
        expect((await ledger.listReleases(env, { limit: 2 })).map((r) => r.version)).toEqual(['2.0.0', '1.2.0']);
        expect((await ledger.listReleases(env, { limit: 1 })).map((r) => r.version)).toEqual(['2.0.0']);
        expect(await ledger.listReleases(freshEnv('empty'))).toEqual([]);
      });

      cases.it('listReleases with states lists only releases in those states, newest first, within the limit', async () => {
        const env = freshEnv('list-states');
        for (const [i, v] of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0'].entries()) await ledger.registerRelease(newRelease(env, v), T0 + i);
        await ledger.setReleaseState(env, '1.0.0', 'superseded', T0);
        await ledger.setReleaseState(env, '1.1.0', 'failed', T0);
        await ledger.setReleaseState(env, '1.2.0', 'good', T0);
        await ledger.setReleaseState(env, '1.3.0', 'rolled-back', T0);
        const versions = async (options: Parameters<Ledger['listReleases']>[1]) => (await ledger.listReleases(env, options)).map((r) => r.version);
        expect(await versions({ states: ['good', 'superseded'] })).toEqual(['1.2.0', '1.0.0']);
        expect(await versions({ states: ['good', 'superseded'], limit: 1 })).toEqual(['1.2.0']);
        expect(await versions({ states: ['registered'] })).toEqual(['1.4.0']);
        expect(await versions({ states: [] })).toEqual([]);
      });

      cases.it('findReleasesByDigest finds every release with that digest, in every environment', async () => {
        const [staging, production] = [freshEnv('digest-a'), freshEnv('digest-b')];
        const shared = `sha256:${Math.random().toString(16).slice(2)}`;
        await ledger.registerRelease(newRelease(staging, '1.0.0', { digest: shared }), T0);
        await ledger.registerRelease(newRelease(staging, '1.0.1', { digest: shared }), T0 + 1);
        await ledger.registerRelease(newRelease(staging, '1.1.0'), T0 + 2);
        await ledger.registerRelease(newRelease(production, '1.0.0', { digest: shared }), T0 + 3);
        const found = await ledger.findReleasesByDigest(shared);
        expect(found.map((r) => [r.env, r.version]).sort()).toEqual([
          [production, '1.0.0'],
          [staging, '1.0.0'],
          [staging, '1.0.1'],
        ].sort());
        expect(found.every((r) => r.digest === shared)).toBe(true);
        expect(await ledger.findReleasesByDigest('sha256:nothing-has-this')).toEqual([]);
      });

      cases.it('setReleaseState changes only the state and updatedAt of that release', async () => {
        const env = freshEnv('state');
        const { release: r1 } = await ledger.registerRelease(newRelease(env, '1.0.0'), T0);
        const { release: r2 } = await ledger.registerRelease(newRelease(env, '2.0.0'), T0);

        await ledger.setReleaseState(env, '1.0.0', 'deploying', T0 + 50);
        const after = await ledger.getRelease(env, '1.0.0');
        expect(after).toEqual({ ...r1, state: 'deploying', updatedAt: T0 + 50 });
        expectEpoch(after?.updatedAt, T0 + 50);
        expectEpoch(after?.createdAt, T0);
        expect(await ledger.getRelease(env, '2.0.0')).toEqual(r2);

        await second.setReleaseState(env, '1.0.0', 'failed', T0 + 60);
        expect(await ledger.getRelease(env, '1.0.0')).toEqual({ ...r1, state: 'failed', updatedAt: T0 + 60 });
      });

      cases.it('setReleaseDatabase records what a deploy did to the database, and nothing else changes', async () => {
        const env = freshEnv('dbfacts');
        const { release } = await ledger.registerRelease(newRelease(env, '1.0.0'), T0);
        expect(release.database).toBeNull();
        const facts = {
          migrations: [{ id: '20260101_add_users', name: '20260101_add_users', hasDown: true }],
          verdict: 'breaking' as const,
          reasons: ['m.sql:1 RW101 drop column'],
          preUpgradeBackupId: 42,
        };
        await ledger.setReleaseDatabase(env, '1.0.0', facts, T0 + 10);
        expect(await second.getRelease(env, '1.0.0')).toEqual({ ...release, database: facts, updatedAt: T0 + 10 });
        const replaced = { ...facts, migrations: [], verdict: 'none' as const, reasons: [], preUpgradeBackupId: null };
        await second.setReleaseDatabase(env, '1.0.0', replaced, T0 + 20);
        expect((await ledger.getRelease(env, '1.0.0'))?.database).toEqual(replaced);
        expect((await ledger.listReleases(env))[0]?.database).toEqual(replaced);
      });

      cases.it('markReleaseGood sets state good and gives increasing goodSeq', async () => {
        const env = freshEnv('good');
        for (const v of ['1.0.0', '1.1.0', '1.2.0']) await ledger.registerRelease(newRelease(env, v), T0);

        await ledger.markReleaseGood(env, '1.1.0', T0 + 1);
        await ledger.markReleaseGood(env, '1.0.0', T0 + 2);
        await second.markReleaseGood(env, '1.2.0', T0 + 3);

        const g11 = await ledger.getRelease(env, '1.1.0');
        const g10 = await ledger.getRelease(env, '1.0.0');
        const g12 = await ledger.getRelease(env, '1.2.0');
        for (const [r, at] of [
          [g11, T0 + 1],
          [g10, T0 + 2],
          [g12, T0 + 3],
        ] as const) {
          expect(r?.state).toBe('good');
          expect(typeof r?.goodSeq).toBe('number');
          expectEpoch(r?.updatedAt, at);
        }
        // Order of marking, not registration order.
        expect(g11!.goodSeq!).toBeLessThan(g10!.goodSeq!);
        expect(g10!.goodSeq!).toBeLessThan(g12!.goodSeq!);

        // Marking an already-good release again moves it to the front of the good order.
        await ledger.markReleaseGood(env, '1.1.0', T0 + 4);
        expect((await ledger.getRelease(env, '1.1.0'))!.goodSeq!).toBeGreaterThan(g12!.goodSeq!);
        // Registration order is unaffected.
        expect((await ledger.listReleases(env)).map((r) => r.seq)).toEqual([3, 2, 1]);
      });

      // Registration is not under the environment lock, so two `rewind release` runs can race. One handle is
      // enough: PostgreSQL's pool runs the transactions on separate connections; SQLite's driver serializes them
      // (two in-process SQLite connections would block each other's write lock on the one thread).
      cases.it('concurrent registerRelease in one environment: distinct seqs, and one create per version', async () => {
        const env = freshEnv('reg-race');
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => ledger.registerRelease(newRelease(env, `1.${i}.0`), T0 + i)),
        );
        expect(results.every((r) => r.created)).toBe(true);
        expect(results.map((r) => r.release.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect((await ledger.listReleases(env)).map((r) => r.seq)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);

        const same = await Promise.all(Array.from({ length: 6 }, () => ledger.registerRelease(newRelease(env, '2.0.0'), T0 + 100)));
        expect(same.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(same.map((r) => r.release.seq))).toEqual(new Set([9]));
        expect((await ledger.listReleases(env)).filter((r) => r.version === '2.0.0')).toHaveLength(1);
      });

      cases.it('concurrent markReleaseGood in one environment gives distinct goodSeqs', async () => {
        const env = freshEnv('good-race');
        const versions = Array.from({ length: 6 }, (_, i) => `3.${i}.0`);
        for (const v of versions) await ledger.registerRelease(newRelease(env, v), T0);
        await Promise.all(versions.map((v, i) => ledger.markReleaseGood(env, v, T0 + i)));
        const goodSeqs = (await ledger.listReleases(env)).map((r) => r.goodSeq);
        expect(goodSeqs.every((g) => typeof g === 'number')).toBe(true);
        expect(new Set(goodSeqs).size).toBe(versions.length);
      });

      cases.it('findLastKnownGood returns undefined when no release ever reached good', async () => {
        const env = freshEnv('lkg-none');
        expect(await ledger.findLastKnownGood(env, null)).toBeUndefined();
        await ledger.registerRelease(newRelease(env, '1.0.0'), T0);
        await ledger.registerRelease(newRelease(env, '1.1.0'), T0);
        await ledger.setReleaseState(env, '1.1.0', 'live', T0);
        expect(await ledger.findLastKnownGood(env, null)).toBeUndefined();
        expect(await ledger.findLastKnownGood(env, '1.0.0')).toBeUndefined();
      });

      cases.it('findLastKnownGood picks the highest goodSeq among good/superseded, honouring excluding', async () => {
        const env = freshEnv('lkg');
        const other = freshEnv('lkg-other');
        for (const v of ['1.0.0', '2.0.0', '3.0.0', '4.0.0']) await ledger.registerRelease(newRelease(env, v), T0);
        // A good release in another environment must never leak in.
        await ledger.registerRelease(newRelease(other, '9.0.0'), T0);
        await ledger.markReleaseGood(other, '9.0.0', T0);

        await ledger.markReleaseGood(env, '1.0.0', T0 + 1);
        expect((await ledger.findLastKnownGood(env, null))?.version).toBe('1.0.0');
        expect(await ledger.findLastKnownGood(env, '1.0.0')).toBeUndefined();

        await ledger.markReleaseGood(env, '2.0.0', T0 + 2);
        await ledger.setReleaseState(env, '1.0.0', 'superseded', T0 + 2);
        await ledger.markReleaseGood(env, '3.0.0', T0 + 3);
        await ledger.setReleaseState(env, '2.0.0', 'superseded', T0 + 3);
        // 4.0.0 is live but never good: not a candidate.
        await ledger.setReleaseState(env, '4.0.0', 'live', T0 + 4);

        const lkg = await ledger.findLastKnownGood(env, null);
        expect(lkg).toEqual(await ledger.getRelease(env, '3.0.0'));
        expect((await ledger.findLastKnownGood(env, '4.0.0'))?.version).toBe('3.0.0');
        // Excluding the newest falls back to a superseded one, which still counts.
        const prev = await ledger.findLastKnownGood(env, '3.0.0');
        expect(prev?.version).toBe('2.0.0');
        expect(prev?.state).toBe('superseded');

        // goodSeq decides, not seq: 1.0.0 becomes good again after 3.0.0.
        await ledger.markReleaseGood(env, '1.0.0', T0 + 5);
        expect((await second.findLastKnownGood(env, null))?.version).toBe('1.0.0');
        expect((await second.findLastKnownGood(env, '1.0.0'))?.version).toBe('3.0.0');
      });

      cases.it('findLastKnownGood ignores releases that were good once but are now failed or rolled-back', async () => {
        const env = freshEnv('lkg-fall');
        for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
          await ledger.registerRelease(newRelease(env, v), T0);
          await ledger.markReleaseGood(env, v, T0);
        }
        await ledger.setReleaseState(env, '1.0.0', 'superseded', T0 + 1);
        await ledger.setReleaseState(env, '2.0.0', 'superseded', T0 + 1);
        expect((await ledger.findLastKnownGood(env, null))?.version).toBe('3.0.0');

        await ledger.setReleaseState(env, '3.0.0', 'failed', T0 + 2);
        // The failed release keeps its goodSeq but no longer counts.
        expect((await ledger.getRelease(env, '3.0.0'))?.goodSeq).not.toBeNull();
        expect((await ledger.findLastKnownGood(env, null))?.version).toBe('2.0.0');

        await ledger.setReleaseState(env, '2.0.0', 'rolled-back', T0 + 3);
        expect((await ledger.findLastKnownGood(env, null))?.version).toBe('1.0.0');
        expect(await ledger.findLastKnownGood(env, '1.0.0')).toBeUndefined();

        await ledger.setReleaseState(env, '1.0.0', 'failed', T0 + 4);
        expect(await ledger.findLastKnownGood(env, null)).toBeUndefined();
      });
    });

    describe('operations', () => {
      cases.it('createOperation / getOperation roundtrip every field, plan JSON included', async () => {
        const env = freshEnv('op');
        const plan = {
          steps: [
            { id: 'stop', kind: 'runtime.stop', args: { graceMs: 5000, force: false } },
            { id: 'switch', kind: 'link', args: { from: null, to: '/releases/2.0.0' } },
          ],
          note: 'unicode ✓ "quotes" \\ backslash',
          nested: { deep: [1, 2.5, -3, [true, null]] },
        };
        const op = newOperation(env, `op-${env}`, {
          kind: 'rollback',
          fromVersion: '2.0.0',
          toVersion: '1.0.0',
          plan,
          actor: 'alice@example',
          parentId: 'parent-op',
          reason: 'health check failed',
          startedAt: T0 + 7,
        });
        await ledger.createOperation(op);

        const got = await second.getOperation(op.id);
        expect(got).toEqual(op);
        expect(got?.plan).toEqual(plan);
        expectEpoch(got?.startedAt, T0 + 7);
        expect(got?.finishedAt).toBeNull();
        expect(await ledger.getOperation('no-such-operation')).toBeUndefined();
      });

      cases.it('finishOperation records state, error and finishedAt', async () => {
        const env = freshEnv('finish');
        const ok = newOperation(env, `ok-${env}`);
        const bad = newOperation(env, `bad-${env}`, { startedAt: T0 + 1 });
        await ledger.createOperation(ok);
        await ledger.createOperation(bad);

        await ledger.finishOperation(ok.id, 'succeeded', null, T0 + 100);
        await second.finishOperation(bad.id, 'failed', 'boom: exit 1', T0 + 200);

        const gotOk = await ledger.getOperation(ok.id);
        expect(gotOk).toEqual({ ...ok, state: 'succeeded', error: null, finishedAt: T0 + 100 });
        expectEpoch(gotOk?.finishedAt, T0 + 100);
        expect(await ledger.getOperation(bad.id)).toEqual({ ...bad, state: 'failed', error: 'boom: exit 1', finishedAt: T0 + 200 });
      });

      cases.it('listOperations returns newest first, scoped to the environment, with limit', async () => {
        const env = freshEnv('list-ops');
        const other = freshEnv('list-ops-other');
        // Created out of start order, so insertion order cannot pass for "newest first".
        for (const [id, at] of [
          ['b', T0 + 20],
          ['a', T0 + 10],
          ['d', T0 + 40],
          ['c', T0 + 30],
        ] as const) {
          await ledger.createOperation(newOperation(env, `${env}-${id}`, { startedAt: at }));
        }
        await ledger.createOperation(newOperation(other, `${other}-x`, { startedAt: T0 + 99 }));

        const all = await ledger.listOperations(env);
        expect(all.map((o) => o.id)).toEqual([`${env}-d`, `${env}-c`, `${env}-b`, `${env}-a`]);
        expect(all.map((o) => o.startedAt)).toEqual([T0 + 40, T0 + 30, T0 + 20, T0 + 10]);
        expect((await second.listOperations(env, { limit: 2 })).map((o) => o.id)).toEqual([`${env}-d`, `${env}-c`]);
        expect(await ledger.listOperations(freshEnv('no-ops'))).toEqual([]);
      });

      cases.it('findRunningOperations returns only running operations, filtered by env when given', async () => {
        const a = freshEnv('run-a');
        const b = freshEnv('run-b');
        const a1 = newOperation(a, `${a}-1`, { startedAt: T0 + 1 });
        const a2 = newOperation(a, `${a}-2`, { startedAt: T0 + 2 });
        const a3 = newOperation(a, `${a}-3`, { startedAt: T0 + 3 });
        const b1 = newOperation(b, `${b}-1`, { startedAt: T0 + 4 });
        for (const op of [a1, a2, a3, b1]) await ledger.createOperation(op);
        await ledger.finishOperation(a2.id, 'succeeded', null, T0 + 10);
        await ledger.finishOperation(a3.id, 'abandoned', 'crashed', T0 + 10);

        expect(await second.findRunningOperations(a)).toEqual([a1]);
        expect(await ledger.findRunningOperations(b)).toEqual([b1]);
        expect(await ledger.findRunningOperations(freshEnv('run-none'))).toEqual([]);

        // Without a filter: every running operation in the store, including both environments, and only running ones.
        const everywhere = await ledger.findRunningOperations();
        const ids = everywhere.map((o) => o.id);
        expect(ids).toEqual(expect.arrayContaining([a1.id, b1.id]));
        expect(ids).not.toContain(a2.id);
        expect(ids).not.toContain(a3.id);
        expect(everywhere.every((o) => o.state === 'running')).toBe(true);

        await ledger.finishOperation(b1.id, 'failed', 'x', T0 + 11);
        expect(await ledger.findRunningOperations(b)).toEqual([]);
        expect((await ledger.findRunningOperations()).map((o) => o.id)).not.toContain(b1.id);
      });
    });

    describe('steps', () => {
      cases.it('startStep journals a running step, finishStep completes it', async () => {
        const env = freshEnv('steps');
        const opId = `op-${env}`;
        await ledger.createOperation(newOperation(env, opId));

        const started = await ledger.startStep({ operationId: opId, index: 0, stepId: 'stop', kind: 'runtime.stop', detail: { hint: 'x' }, startedAt: T0 + 1 });
        expect(started).toEqual({
          operationId: opId,
          index: 0,
          stepId: 'stop',
          kind: 'runtime.stop',
          state: 'running',
          attempt: 1,
          detail: { hint: 'x' },
          startedAt: T0 + 1,
          finishedAt: null,
        });
        expectEpoch(started.startedAt, T0 + 1);
        expect(typeof started.attempt).toBe('number');
        expect(typeof started.index).toBe('number');

        const detail = { message: 'stopped', code: 0, durationMs: 12, list: ['a', { b: null }], text: 'ü ✓' };
        await ledger.finishStep(opId, 0, 'succeeded', detail, T0 + 13);
        const [finished] = await second.listSteps(opId);
        expect(finished).toEqual({ ...started, state: 'succeeded', detail, finishedAt: T0 + 13 });
        expectEpoch(finished?.finishedAt, T0 + 13);
      });

      cases.it('startStep again on the same (operation, index) increments attempt and resets to running', async () => {
        const env = freshEnv('retry');
        const opId = `op-${env}`;
        await ledger.createOperation(newOperation(env, opId));

        await ledger.startStep({ operationId: opId, index: 3, stepId: 'health', kind: 'check.http', detail: {}, startedAt: T0 });
        await ledger.finishStep(opId, 3, 'error', { message: 'crashed' }, T0 + 5);

        const retried = await ledger.startStep({ operationId: opId, index: 3, stepId: 'health', kind: 'check.http', detail: {}, startedAt: T0 + 100 });
        expect(retried.attempt).toBe(2);
        expect(retried.state).toBe('running');
        expect(retried.finishedAt).toBeNull();
        expectEpoch(retried.startedAt, T0 + 100);
        expect(retried.operationId).toBe(opId);
        expect(retried.index).toBe(3);

        // Still one row for that step, and the stored state matches what was returned.
        const steps = await ledger.listSteps(opId);
        expect(steps).toHaveLength(1);
        expect(steps[0]).toMatchObject({ index: 3, attempt: 2, state: 'running', finishedAt: null, startedAt: T0 + 100 });

        const third = await second.startStep({ operationId: opId, index: 3, stepId: 'health', kind: 'check.http', detail: {}, startedAt: T0 + 200 });
        expect(third.attempt).toBe(3);
        // Other operations' steps at the same index are separate rows.
        const otherOp = `other-${env}`;
        await ledger.createOperation(newOperation(env, otherOp));
        const fresh = await ledger.startStep({ operationId: otherOp, index: 3, stepId: 'health', kind: 'check.http', detail: {}, startedAt: T0 });
        expect(fresh.attempt).toBe(1);
      });

      cases.it('listSteps returns the operation steps ordered by index', async () => {
        const env = freshEnv('order');
        const opId = `op-${env}`;
        const otherOp = `other-${env}`;
        await ledger.createOperation(newOperation(env, opId));
        await ledger.createOperation(newOperation(env, otherOp));
        // Inserted out of order; 10 after 2 also catches text ordering of the index.
        for (const index of [2, 10, 0, 1]) {
          await ledger.startStep({ operationId: opId, index, stepId: `s${index}`, kind: 'k', detail: {}, startedAt: T0 + index });
        }
        await ledger.startStep({ operationId: otherOp, index: 5, stepId: 'x', kind: 'k', detail: {}, startedAt: T0 });

        const steps = await ledger.listSteps(opId);
        expect(steps.map((s) => s.index)).toEqual([0, 1, 2, 10]);
        expect(steps.map((s) => s.stepId)).toEqual(['s0', 's1', 's2', 's10']);
        expect(steps.every((s) => s.operationId === opId)).toBe(true);
        expect(await ledger.listSteps('no-such-op')).toEqual([]);
      });
    });

    describe('events', () => {
      const event = (env: string, n: number, overrides: Partial<Parameters<Ledger['appendEvent']>[0]> = {}) => ({
        at: T0 + n,
        env,
        operationId: null,
        event: `e${n}`,
        actor: 'tester',
        fromVersion: null,
        toVersion: null,
        data: { n },
        ...overrides,
      });

      cases.it('appendEvent returns the stored event with increasing ids and JSON data roundtrips', async () => {
        const env = freshEnv('events');
        const data = { n: 1, nested: { list: [1, 'two', null, { three: true }] }, text: 'quotes " and \\ and ✓' };
        const first = await ledger.appendEvent(event(env, 1, { operationId: 'op-1', fromVersion: '1.0.0', toVersion: '2.0.0', data }));
        expect(first).toEqual({
          id: first.id,
          at: T0 + 1,
          env,
          operationId: 'op-1',
          event: 'e1',
          actor: 'tester',
          fromVersion: '1.0.0',
          toVersion: '2.0.0',
          data,
        });
        expect(typeof first.id).toBe('number');
        expectEpoch(first.at, T0 + 1);

        const secondEvent = await second.appendEvent(event(env, 2));
        const third = await ledger.appendEvent(event(env, 3));
        expect(secondEvent.id).toBeGreaterThan(first.id);
        expect(third.id).toBeGreaterThan(secondEvent.id);

        const listed = await second.listEvents(env);
        expect(listed).toEqual([first, secondEvent, third]);
        expect(listed[0]?.data).toEqual(data);
      });

      cases.it('listEvents returns the newest `limit` events oldest first, scoped to the environment', async () => {
        const env = freshEnv('ev-limit');
        const other = freshEnv('ev-limit-other');
        const appended = [];
        for (let n = 1; n <= 6; n++) {
          appended.push(await ledger.appendEvent(event(env, n)));
          await ledger.appendEvent(event(other, 100 + n));
        }
        expect((await ledger.listEvents(env)).map((e) => e.event)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
        const limited = await ledger.listEvents(env, { limit: 3 });
        expect(limited).toEqual(appended.slice(3));
        expect(limited.map((e) => e.event)).toEqual(['e4', 'e5', 'e6']);
        expect((await ledger.listEvents(env, { limit: 1 })).map((e) => e.event)).toEqual(['e6']);
        expect(await ledger.listEvents(freshEnv('ev-none'))).toEqual([]);
      });

      cases.it('listEvents filters by operationIds and afterId', async () => {
        const env = freshEnv('ev-filter');
        const e1 = await ledger.appendEvent(event(env, 1, { operationId: 'op-a' }));
        const e2 = await ledger.appendEvent(event(env, 2, { operationId: 'op-b' }));
        const e3 = await ledger.appendEvent(event(env, 3, { operationId: null }));
        const e4 = await ledger.appendEvent(event(env, 4, { operationId: 'op-a' }));
        const e5 = await ledger.appendEvent(event(env, 5, { operationId: 'op-c' }));

        expect(await ledger.listEvents(env, { operationIds: ['op-a'] })).toEqual([e1, e4]);
        expect(await ledger.listEvents(env, { operationIds: ['op-a', 'op-c'] })).toEqual([e1, e4, e5]);
        expect(await ledger.listEvents(env, { operationIds: [] })).toEqual([]);
        expect(await ledger.listEvents(env, { operationIds: ['op-unknown'] })).toEqual([]);

        expect(await second.listEvents(env, { afterId: e2.id })).toEqual([e3, e4, e5]);
        expect(await ledger.listEvents(env, { afterId: e5.id })).toEqual([]);
        expect(await ledger.listEvents(env, { afterId: e1.id, operationIds: ['op-a'] })).toEqual([e4]);
        expect(await ledger.listEvents(env, { afterId: e1.id, limit: 2 })).toEqual([e4, e5]);
      });

      cases.it('events are append-only: raw UPDATE and DELETE are refused and leave the rows intact', async () => {
        const env = freshEnv('ev-append-only');
        // The guard is per row, so there must be rows for it to bite.
        const e1 = await ledger.appendEvent(event(env, 1, { data: { keep: 'me' } }));
        const e2 = await ledger.appendEvent(event(env, 2));

        await expect(factory.rawExec(`UPDATE events SET actor = 'mallory' WHERE env = '${env}'`)).rejects.toThrow(/append-only/);
        await expect(factory.rawExec(`UPDATE events SET data = '{}'`)).rejects.toThrow(/append-only/);
        await expect(factory.rawExec(`DELETE FROM events WHERE id = ${e1.id}`)).rejects.toThrow(/append-only/);
        await expect(factory.rawExec(`DELETE FROM events`)).rejects.toThrow(/append-only/);

        expect(await ledger.listEvents(env)).toEqual([e1, e2]);
        expect(await second.listEvents(env)).toEqual([e1, e2]);
        // Appending still works afterwards.
        const e3 = await ledger.appendEvent(event(env, 3));
        expect(e3.id).toBeGreaterThan(e2.id);
      });
    });

    ledgerOutboxCases(cases, () => ({ ledger, second }), freshEnv, T0);
    ledgerDrillCases(cases, () => ({ ledger, second }), freshEnv, T0);

    describe('locks', () => {
      cases.it('acquireLock on a free environment succeeds and stores the lock', async () => {
        const env = freshEnv('lock');
        const request = lockRequest(env, 'tok-1', { operationId: 'op-1', pid: 1234, ttlMs: 60_000, now: T0 });
        const calls: LockRecord[] = [];
        const result = await ledger.acquireLock(request, (h) => {
          calls.push(h);
          return false;
        });
        expect(calls).toEqual([]);
        expect(result.acquired).toBe(true);
        const expected: LockRecord = {
          env,
          token: 'tok-1',
          holder: 'holder-tok-1',
          host: 'host-tok-1',
          pid: 1234,
          operationId: 'op-1',
          acquiredAt: T0,
          heartbeatAt: T0,
          expiresAt: T0 + 60_000,
        };
        if (!result.acquired) throw new Error('expected the lock');
        expect(result.lock).toEqual(expected);
        expect(result.tookOverFrom).toBeUndefined();

        const stored = await second.getLock(env);
        expect(stored).toEqual(expected);
        expectEpoch(stored?.acquiredAt, T0);
        expectEpoch(stored?.heartbeatAt, T0);
        expectEpoch(stored?.expiresAt, T0 + 60_000);
        expect(typeof stored?.pid).toBe('number');
        expect(await ledger.getLock(freshEnv('no-lock'))).toBeUndefined();
      });

      cases.it('a second acquire with another token fails and reports the holder', async () => {
        const env = freshEnv('lock-busy');
        await ledger.acquireLock(lockRequest(env, 'first', { operationId: 'op-first', pid: 111, now: T0 }), never);
        const holderSeen: LockRecord[] = [];
        const result = await second.acquireLock(lockRequest(env, 'second', { pid: 222, now: T0 + 1 }), (h) => {
          holderSeen.push(h);
          return false;
        });
        expect(result.acquired).toBe(false);
        if (result.acquired) throw new Error('expected refusal');
        expect(result.holder).toMatchObject({ env, token: 'first', holder: 'holder-first', host: 'host-first', pid: 111, operationId: 'op-first' });
        expectEpoch(result.holder.expiresAt, T0 + 30_000);
        // canTakeOver was asked about that very holder.
        expect(holderSeen).toHaveLength(1);
        expect(holderSeen[0]).toEqual(result.holder);
        // The lock is unchanged.
        expect((await ledger.getLock(env))?.token).toBe('first');
        expect((await ledger.getLock(env))?.pid).toBe(111);
      });

      cases.it('canTakeOver=true lets another token take the lock over, reporting the old holder', async () => {
        const env = freshEnv('lock-takeover');
        const first = await ledger.acquireLock(lockRequest(env, 'old', { pid: 1, operationId: 'op-old', now: T0, ttlMs: 10 }), never);
        if (!first.acquired) throw new Error('expected the lock');

        const result = await second.acquireLock(lockRequest(env, 'new', { pid: 2, now: T0 + 1000, ttlMs: 5000 }), (h) => h.expiresAt < T0 + 1000);
        expect(result.acquired).toBe(true);
        if (!result.acquired) throw new Error('expected takeover');
        expect(result.tookOverFrom).toEqual(first.lock);
        expect(result.lock).toMatchObject({ token: 'new', pid: 2, operationId: null, acquiredAt: T0 + 1000, expiresAt: T0 + 6000 });
        expect(await ledger.getLock(env)).toEqual(result.lock);

        // The old token has lost it.
        expect(await ledger.heartbeatLock(env, 'old', 1000, T0 + 2000)).toBe(false);
        expect(await ledger.releaseLock(env, 'old')).toBe(false);
        expect((await ledger.getLock(env))?.token).toBe('new');
      });

      cases.it('heartbeatLock extends only with the right token', async () => {
        const env = freshEnv('lock-hb');
        await ledger.acquireLock(lockRequest(env, 'tok', { now: T0, ttlMs: 1000 }), never);

        expect(await ledger.heartbeatLock(env, 'wrong', 50_000, T0 + 500)).toBe(false);
        expect(await ledger.getLock(env)).toMatchObject({ heartbeatAt: T0, expiresAt: T0 + 1000 });
        expect(await ledger.heartbeatLock(freshEnv('lock-hb-none'), 'tok', 1000, T0)).toBe(false);

        expect(await second.heartbeatLock(env, 'tok', 2000, T0 + 500)).toBe(true);
        const after = await ledger.getLock(env);
        expect(after).toMatchObject({ token: 'tok', acquiredAt: T0, heartbeatAt: T0 + 500, expiresAt: T0 + 2500 });
        expectEpoch(after?.heartbeatAt, T0 + 500);
        expectEpoch(after?.expiresAt, T0 + 2500);
        expect(after!.expiresAt).toBeGreaterThan(T0 + 1000);
      });

      cases.it('setLockOperation records the operation only for the right token', async () => {
        const env = freshEnv('lock-op');
        await ledger.acquireLock(lockRequest(env, 'tok', { operationId: null }), never);
        await ledger.setLockOperation(env, 'wrong', 'op-wrong');
        expect((await ledger.getLock(env))?.operationId).toBeNull();
        await second.setLockOperation(env, 'tok', 'op-right');
        expect(await ledger.getLock(env)).toMatchObject({ token: 'tok', operationId: 'op-right' });
      });

      cases.it('releaseLock fails with the wrong token and succeeds with the right one', async () => {
        const env = freshEnv('lock-release');
        await ledger.acquireLock(lockRequest(env, 'tok'), never);
        expect(await ledger.releaseLock(env, 'wrong')).toBe(false);
        expect((await ledger.getLock(env))?.token).toBe('tok');
        expect(await second.releaseLock(env, 'tok')).toBe(true);
        expect(await ledger.getLock(env)).toBeUndefined();
        expect(await ledger.releaseLock(env, 'tok')).toBe(false);

        // Free again: another token acquires without any takeover.
        const again = await ledger.acquireLock(lockRequest(env, 'next'), never);
        expect(again.acquired).toBe(true);
        if (again.acquired) expect(again.tookOverFrom).toBeUndefined();
      });

      cases.it('forceReleaseLock returns the old holder and removes the lock', async () => {
        const env = freshEnv('lock-force');
        const held = await ledger.acquireLock(lockRequest(env, 'stuck', { pid: 999, operationId: 'op-stuck' }), never);
        if (!held.acquired) throw new Error('expected the lock');

        expect(await second.forceReleaseLock(env)).toEqual(held.lock);
        expect(await ledger.getLock(env)).toBeUndefined();
        expect(await ledger.forceReleaseLock(env)).toBeUndefined();
        // The former holder's token is dead.
        expect(await ledger.heartbeatLock(env, 'stuck', 1000, T0)).toBe(false);
        expect(await ledger.releaseLock(env, 'stuck')).toBe(false);
      });

      cases.it('N=8 concurrent acquires across two connections: exactly one wins', async () => {
        for (let round = 0; round < 5; round++) {
          const env = freshEnv(`lock-race-${round}`);
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? ledger : second).acquireLock(lockRequest(env, `racer-${i}`, { pid: 1000 + i }), never)),
          );
          const winners = results.filter((r) => r.acquired);
          expect(winners).toHaveLength(1);
          const winner = winners[0]!;
          if (!winner.acquired) throw new Error('unreachable');
          // Every loser names the winner as holder; both connections agree on it.
          for (const r of results) {
            if (!r.acquired) expect(r.holder.token).toBe(winner.lock.token);
          }
          expect((await ledger.getLock(env))?.token).toBe(winner.lock.token);
          expect((await second.getLock(env))?.token).toBe(winner.lock.token);
          expect((await ledger.getLock(env))?.pid).toBe(winner.lock.pid);
        }
      });
    });

    describe('incidents', () => {
      const facts = (operationId: string, overrides: Partial<IncidentRollbackFacts> = {}): IncidentRollbackFacts => ({
        operationId,
        parentId: null,
        trigger: 'manual',
        from: '1.1.0',
        to: '1.0.0',
        succeeded: true,
        issue: 'unspecified-issue',
        severity: 'medium',
        rule: 'rule',
        reason: 'slow',
        database: { mode: 'restore', reasons: ['r'], backupId: 7, backupTakenAt: T0 - 5 },
        ...overrides,
      });

      cases.it('createIncident opens one; findOpenIncident, getIncident, findIncidentByOperation and a second connection agree', async () => {
        const env = freshEnv('inc');
        expect(await ledger.findOpenIncident(env)).toBeUndefined();
        const created = await ledger.createIncident({ env, severity: 'medium', openedAt: T0, rollbacks: [facts(`${env}-r1`)] });
        expect(created).toEqual({ id: expect.any(Number), env, status: 'open', severity: 'medium', openedAt: T0, rollbacks: [facts(`${env}-r1`)], fields: {}, closedAt: null, closedBy: null, updatedAt: T0 });
        expectEpoch(created.openedAt, T0);
        expect(await second.findOpenIncident(env)).toEqual(created);
        expect(await second.getIncident(created.id)).toEqual(created);
        expect(await ledger.findIncidentByOperation(`${env}-r1`)).toEqual(created);
        expect(await ledger.findIncidentByOperation(`${env}-nope`)).toBeUndefined();
        expect(await ledger.getIncident(created.id + 10_000)).toBeUndefined();
        expect(await ledger.findOpenIncident(freshEnv('inc-other'))).toBeUndefined();
      });

      cases.it('updateIncident joins a rollback, sets fields, closes; unknown ids change nothing; list filters and orders newest first', async () => {
        const env = freshEnv('inc-upd');
        const first = await ledger.createIncident({ env, severity: 'high', openedAt: T0, rollbacks: [facts(`${env}-r1`, { severity: 'high' })] });
        const rollbacks = [...first.rollbacks, facts(`${env}-r2`, { severity: 'critical', succeeded: false })];
        expect(await ledger.updateIncident(first.id, { severity: 'critical', rollbacks }, T0 + 10)).toBe(true);
        expect((await second.findIncidentByOperation(`${env}-r2`))?.id).toBe(first.id);
        const fields = { impact: 'checkout down', actionItems: [{ text: 'add a test', addedAt: T0 + 20, addedBy: 'ann' }] };
        expect(await ledger.updateIncident(first.id, { fields }, T0 + 20)).toBe(true);
        expect(await ledger.updateIncident(first.id, { status: 'closed', closedAt: T0 + 30, closedBy: 'ann' }, T0 + 30)).toBe(true);
        const closed = await second.getIncident(first.id);
        expect(closed).toEqual({ ...first, severity: 'critical', rollbacks, fields, status: 'closed', closedAt: T0 + 30, closedBy: 'ann', updatedAt: T0 + 30 });
        expect(await ledger.findOpenIncident(env)).toBeUndefined();
        expect(await ledger.updateIncident(first.id + 10_000, { severity: 'low' }, T0 + 40)).toBe(false);

        const next = await ledger.createIncident({ env, severity: 'low', openedAt: T0 + 50, rollbacks: [facts(`${env}-r3`)] });
        expect((await ledger.listIncidents({ env })).map((i) => i.id)).toEqual([next.id, first.id]);
        expect((await ledger.listIncidents({ env, status: 'open' })).map((i) => i.id)).toEqual([next.id]);
        expect((await ledger.listIncidents({ env, status: 'closed' })).map((i) => i.id)).toEqual([first.id]);
        expect((await ledger.listIncidents({ env, limit: 1 })).map((i) => i.id)).toEqual([next.id]);
        expect(await ledger.listIncidents({ env: freshEnv('inc-none') })).toEqual([]);
      });

      cases.it('tickChecklistItem records a tick per (operation, item); a second tick replaces the note', async () => {
        const env = freshEnv('ticks');
        const op = `${env}-op`;
        expect(await ledger.listChecklistTicks(op)).toEqual([]);
        await ledger.tickChecklistItem({ operationId: op, item: 'team-notified', note: 'in #ops', actor: 'ann', at: T0 });
        await second.tickChecklistItem({ operationId: op, item: 'users-notified', note: 'status page', actor: 'bob', at: T0 + 1 });
        await ledger.tickChecklistItem({ operationId: op, item: 'team-notified', note: 'in #ops and by phone', actor: 'bob', at: T0 + 2 });
        expect(await second.listChecklistTicks(op)).toEqual([
          { operationId: op, item: 'users-notified', note: 'status page', actor: 'bob', at: T0 + 1 },
          { operationId: op, item: 'team-notified', note: 'in #ops and by phone', actor: 'bob', at: T0 + 2 },
        ]);
        expect(await ledger.listChecklistTicks(`${env}-other`)).toEqual([]);
      });
    });
  });
}

import { describe, expect, it } from 'vitest';
import { environmentSchema, type EnvironmentConfig } from '../../config/config-schema.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { Plan } from '../plan.js';
import { decideStateRestore, snapshotsToPrune, type StateSnapshotRecord } from '../state/state-snapshots.js';
import { planDeploy } from './deploy-plan.js';
import { planRollback } from './rollback-plan.js';
import type { TargetDescriber } from './target-describer.js';

// Where the state store's steps go in deploy and rollback plans, and when a rollback restores it.

const target: TargetDescriber = {
  type: 'fake',
  capabilities: { atomicSwitch: true, keepsPreviousWarm: false, trafficSplit: false, nativeRollback: false, zeroDowntimeReload: true },
  describePrepare: (r) => ({ summary: `unpack ${r.version}`, commands: [], effects: [] }),
  describeActivate: (v) => ({ summary: `switch to ${v}`, commands: [], effects: [] }),
};

const release = (version: string, overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  env: 'production',
  version,
  seq: 1,
  artifact: `/artifacts/${version}`,
  digest: `sha256:${version.replace(/\./g, '')}`,
  commit: 'abc',
  ci: 'passed',
  state: 'good',
  goodSeq: 1,
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

const config = (state: Record<string, unknown>, extra: Record<string, unknown> = {}): EnvironmentConfig =>
  environmentSchema.parse({
    target: { type: 'releases', path: '/srv/app', keep: 3, runtime: { type: 'pm2', name: 'app' } },
    state: { type: 'redis', url: 'redis://:pw@127.0.0.1:6380/2', restart: ['redis-server', '/etc/redis.conf'], ...state },
    ...extra,
  });

const snapshot: StateSnapshotRecord = {
  path: '/backups/redis/a.rdb',
  sha256: 'a'.repeat(64),
  size: 10,
  version: '7.0.15',
  aof: true,
  keyCounts: { 'sess:': { keys: 3, volatile: 1 } },
  exactCounts: true,
  release: '1.0.0',
  operationId: 'op_1',
  takenAt: '2026-12-06T10:00:00.000Z',
};

const ids = (plan: Plan) => plan.steps.map((s) => `${s.id}:${s.phase}`);
const v1 = release('1.0.0');
const v2 = release('1.1.0', { seq: 2, state: 'registered', goodSeq: null });

describe('state store steps in plans', () => {
  it('a deploy snapshots the running release\'s state in preflight, after the database backup and before anything changes', () => {
    const plan = planDeploy({ env: 'production', config: config({ cleanup: { patterns: ['sess:*'], on: ['deploy'] } }, { database: { engine: 'sqlite', path: '/d.sqlite' } }), target, release: v2, current: v1, lkg: v1 });
    const order = ids(plan);
    expect(order.indexOf('db-backup:preflight')).toBeLessThan(order.indexOf('state-snapshot:preflight'));
    expect(order.indexOf('state-snapshot:preflight')).toBeLessThan(order.indexOf('prepare:preflight'));
    expect(order.indexOf('state-cleanup:change')).toBeLessThan(order.indexOf('activate:change'));
    expect(plan.steps.find((s) => s.id === 'state-snapshot')?.params).toEqual({ release: '1.0.0' });
    // The plan is printed and stored: it names no password.
    expect(JSON.stringify(plan)).not.toContain(':pw@');
  });

  it('a first deploy has no running release to snapshot, and says so', () => {
    const plan = planDeploy({ env: 'production', config: config({}), target, release: v2, current: null, lkg: null });
    expect(ids(plan).some((id) => id.startsWith('state-'))).toBe(false);
    expect(plan.notes).toContain('no redis snapshot: no running release whose state a rollback would return to');
  });

  it('a restoring rollback checks the snapshot in preflight, stops the app, restores, cleans up, then activates', () => {
    const decision = decideStateRestore('always', false, '1.0.0', snapshot);
    const plan = planRollback({ env: 'production', config: config({ cleanup: { patterns: ['csrf:*'] } }), target, from: v2, to: v1, reason: 'r', automatic: false, state: decision });
    expect(ids(plan)).toEqual([
      'rollback-start:preflight',
      'state-check:preflight',
      'prepare:preflight',
      'stop-app:change',
      'state-restore:change',
      'state-cleanup:change',
      'activate:change',
      'rollback-complete:finalize',
    ]);
    const restore = plan.steps.find((s) => s.id === 'state-restore')!;
    expect(restore.commands).toEqual([{ argv: ['redis-server', '/etc/redis.conf'] }]);
    expect(restore.effects.join(' ')).toMatch(/build a fresh append-only file/);
    expect(plan.notes.some((n) => n.startsWith('state (redis): restore the snapshot of 1.0.0'))).toBe(true);
  });

  it('decides from restoreOnRollback and the database decision, and leaves Redis alone without a snapshot', () => {
    expect(decideStateRestore('never', true, '1.0.0', snapshot).restore).toBeUndefined();
    expect(decideStateRestore('with-database', false, '1.0.0', snapshot).restore).toBeUndefined();
    expect(decideStateRestore('with-database', true, '1.0.0', snapshot).restore).toBe(snapshot);
    expect(decideStateRestore('always', false, '1.0.0', snapshot).restore).toBe(snapshot);
    const none = decideStateRestore('always', true, '1.0.0', null);
    expect(none).toEqual({ reasons: ['no state snapshot of 1.0.0 is journaled: the state store is left as it is'] });
    const plan = planRollback({ env: 'production', config: config({}), target, from: v2, to: v1, reason: 'r', automatic: false, state: none });
    expect(ids(plan).some((id) => id.startsWith('state-') || id.startsWith('stop-app'))).toBe(false);
  });

  it('retention keeps the newest N and the newest snapshot of each release that can still be rolled back to', () => {
    const at = (path: string, release: string) => ({ ...snapshot, path, release });
    // Newest first: a, b (both of 1.2.0), c (1.1.0), d (1.0.0), e (1.1.0); e was removed before.
    const all = [at('a', '1.2.0'), at('b', '1.2.0'), at('c', '1.1.0'), at('d', '1.0.0'), at('e', '1.1.0')];
    expect(snapshotsToPrune(all, new Set(['e']), 1, new Set(['1.0.0']))).toEqual(['b', 'c']);
    expect(snapshotsToPrune(all, new Set(), 2, new Set(['1.1.0', '1.2.0']))).toEqual(['d', 'e']);
    expect(snapshotsToPrune(all, new Set(), 10, new Set())).toEqual([]);
  });

  it('refuses a config that could restore without a restart argv, and cleanup without patterns or flushdb', () => {
    const base = { target: { type: 'releases', path: '/srv/app', runtime: { type: 'pm2', name: 'app' } } };
    expect(environmentSchema.safeParse({ ...base, state: { type: 'redis', url: 'redis://h:6379' } }).success).toBe(false);
    expect(environmentSchema.safeParse({ ...base, state: { type: 'redis', url: 'redis://h:6379', restoreOnRollback: 'never' } }).success).toBe(true);
    expect(environmentSchema.safeParse({ ...base, state: { type: 'redis', url: 'redis://h:6379', restoreOnRollback: 'never', cleanup: {} } }).success).toBe(false);
    expect(environmentSchema.safeParse({ ...base, state: { type: 'redis', url: 'redis://h:6379', restoreOnRollback: 'never', cleanup: { flushdb: true } } }).success).toBe(true);
  });
});

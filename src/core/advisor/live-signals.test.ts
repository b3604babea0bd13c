import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthCheckConfig } from '../../config/config-schema.js';
import { parseConfigText } from '../../config/load-config.js';
import { openLedger } from '../../ledger/open-ledger.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import type { Ledger, OperationRecord } from '../../ports/ledger.js';
import { gatherLiveSignals, type AdvisorServices } from './live-signals.js';

// Against a real SQLite ledger: the journal rows are written the way deploy and rollback write them.
const ENV = 'production';
const T0 = 1_717_171_717_000;

let root: string;
let ledger: Ledger;
let probes: { config: HealthCheckConfig; version: string }[];

function services(options: { database?: boolean; health?: Outcome } = {}): AdvisorServices {
  const yaml = `ledger: ${join(root, 'rewind.db')}
environments:
  ${ENV}:
    target: { type: releases, path: ${join(root, 'srv')}, runtime: { type: pm2, name: app } }
    health: { url: "http://127.0.0.1:9/health", retries: 6, readinessDelayMs: 5000 }
${options.database ? `    database: { engine: sqlite, path: ${join(root, 'app.db')} }\n` : ''}`;
  return {
    config: parseConfigText(yaml, root),
    ledger,
    // No watch: is configured here, so the metric source is never created (metric-signals.test.ts measures).
    createMetricSource: () => {
      throw new Error('no metric source is configured in these tests');
    },
    checkHealth: async (config, version) => {
      probes.push({ config, version });
      return options.health ?? succeeded('healthy: status 200');
    },
  };
}

async function release(version: string, state: 'good' | 'failed' | 'live', ci: 'passed' | 'unknown' = 'passed'): Promise<void> {
  await ledger.registerRelease({ env: ENV, version, artifact: `/a/${version}`, digest: `sha256:${version}`, commit: null, ci }, T0);
  if (state === 'good') await ledger.markReleaseGood(ENV, version, T0);
  else await ledger.setReleaseState(ENV, version, state, T0);
}

async function operation(id: string, over: Partial<OperationRecord>, steps: { id: string; kind: string; phase: string; state: 'succeeded' | 'failed' }[] = []): Promise<void> {
  const at = over.startedAt ?? T0;
  await ledger.createOperation({
    id,
    env: ENV,
    kind: 'deploy',
    fromVersion: null,
    toVersion: '1.0.0',
    state: 'running',
    plan: { version: 1, steps: steps.map((s) => ({ id: s.id, kind: s.kind, phase: s.phase })) },
    actor: 'tester',
    parentId: null,
    reason: null,
    error: null,
    startedAt: at,
    finishedAt: null,
    ...over,
  });
  for (const [index, step] of steps.entries()) {
    await ledger.startStep({ operationId: id, index, stepId: step.id, kind: step.kind, detail: null, startedAt: at });
    await ledger.finishStep(id, index, step.state, null, at + 1);
  }
  if (over.state && over.state !== 'running') await ledger.finishOperation(id, over.state, over.error ?? null, over.finishedAt ?? at + 1000);
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'rewind-advisor-'));
  ledger = await openLedger(join(root, 'rewind.db'));
  await ledger.ensureEnvironment(ENV, T0);
  probes = [];
});
afterEach(async () => {
  await ledger.close();
  rmSync(root, { recursive: true, force: true });
});

describe('gatherLiveSignals', () => {
  it('reads current, LKG and CI; probes the current release once, without the deploy-time delay and backoff', async () => {
    await release('1.0.0', 'good', 'unknown');
    await release('1.1.0', 'good');
    await ledger.setCurrentVersion(ENV, '1.1.0', T0);
    const live = await gatherLiveSignals(services(), ENV);
    expect(live).toMatchObject({ env: ENV, health: { status: 'ok' }, current: { version: '1.1.0', state: 'good', ci: 'passed' }, lastKnownGood: { version: '1.0.0', ci: 'unknown' }, unfinished: [] });
    expect(live.lastDeploy).toBeUndefined();
    expect(live.database).toBeUndefined();
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ version: '1.1.0', config: { readinessDelayMs: 0, retries: 1 } });
  });

  it('reports a failing health check, and no probe when nothing is deployed', async () => {
    await release('1.0.0', 'good');
    await ledger.setCurrentVersion(ENV, '1.0.0', T0);
    expect((await gatherLiveSignals(services({ health: failed('unhealthy: status 500') }), ENV)).health).toEqual({ status: 'failing', message: 'unhealthy: status 500' });
    await ledger.setCurrentVersion(ENV, null, T0);
    probes = [];
    expect((await gatherLiveSignals(services(), ENV)).health.status).toBe('unknown');
    expect(probes).toHaveLength(0);
  });

  it('a failed deploy that rolled itself back: where it failed, the rollback, and the ceremony it took', async () => {
    await release('1.0.0', 'good');
    await release('1.1.0', 'failed');
    await ledger.setCurrentVersion(ENV, '1.0.0', T0);
    const deploySteps = [
      { id: 'prepare', kind: 'prepare', phase: 'preflight', state: 'succeeded' as const },
      { id: 'activate', kind: 'activate', phase: 'change', state: 'succeeded' as const },
      { id: 'health', kind: 'health', phase: 'verify', state: 'failed' as const },
    ];
    await operation('d1', { toVersion: '1.1.0', fromVersion: '1.0.0', state: 'failed', error: 'health: unhealthy', startedAt: T0 }, deploySteps);
    await operation('r1', { kind: 'rollback', fromVersion: '1.1.0', toVersion: '1.0.0', parentId: 'd1', state: 'succeeded', startedAt: T0 + 10, finishedAt: T0 + 10 + 1234 });
    const live = await gatherLiveSignals(services(), ENV);
    expect(live.lastDeploy).toEqual({
      operationId: 'd1',
      version: '1.1.0',
      failedStep: 'health',
      phase: 'verify',
      error: 'health: unhealthy',
      rollback: 'succeeded',
      rolledBackTo: '1.0.0',
      migrationFailed: false,
      preUpgradeBackupId: null,
      stillCurrent: false,
    });
    expect(live.lastRollbackMs).toBe(1234);
  });

  it('a failed migration that nothing rolled back, with its pre-upgrade backup', async () => {
    await release('1.0.0', 'good');
    await release('1.1.0', 'failed');
    await ledger.setCurrentVersion(ENV, '1.0.0', T0);
    await ledger.setReleaseDatabase(ENV, '1.1.0', { migrations: [{ id: '002', name: '002_drop', hasDown: false }], verdict: 'unknown', reasons: ['partly migrated'], preUpgradeBackupId: 3 }, T0);
    await operation('d1', { toVersion: '1.1.0', state: 'failed', error: 'migrate: exited 1' }, [{ id: 'migrate', kind: 'migrate', phase: 'change', state: 'failed' }]);
    expect((await gatherLiveSignals(services(), ENV)).lastDeploy).toMatchObject({ operationId: 'd1', migrationFailed: true, preUpgradeBackupId: 3, stillCurrent: false, rollback: 'none', phase: 'change' });
  });

  it('an unfinished deploy is unfinished, not failed', async () => {
    await release('1.0.0', 'good');
    await ledger.setCurrentVersion(ENV, '1.0.0', T0);
    await operation('d1', { toVersion: '1.1.0', fromVersion: '1.0.0' });
    const live = await gatherLiveSignals(services(), ENV);
    expect(live.lastDeploy).toBeUndefined();
    expect(live.unfinished).toEqual([{ id: 'd1', kind: 'deploy', from: '1.0.0', to: '1.1.0' }]);
  });

  it('asks the database-aware rollback decision what a rollback would do: restore for a breaking migration', async () => {
    await release('1.0.0', 'good');
    await release('1.1.0', 'live');
    await ledger.setCurrentVersion(ENV, '1.1.0', T0);
    const backup = await ledger.recordBackup({
      env: ENV,
      releaseVersion: '1.0.0',
      kind: 'pre-upgrade',
      engine: 'sqlite',
      format: 'sqlite',
      path: join(root, 'b.db'),
      size: 1,
      sha256: 'ab'.repeat(32),
      migrationState: [],
      rowCounts: {},
      createdAt: T0,
    });
    await ledger.setReleaseDatabase(ENV, '1.1.0', { migrations: [{ id: '002', name: '002_drop_col', hasDown: true }], verdict: 'breaking', reasons: ['RW101 drop column'], preUpgradeBackupId: backup.id }, T0);
    const live = await gatherLiveSignals(services({ database: true }), ENV);
    expect(live.database).toEqual({
      currentVerdict: 'breaking',
      rollback: { mode: 'restore', reasons: ['1.1.0: RW101 drop column', `restore backup #${backup.id}, taken before 1.1.0 was deployed`], backupId: backup.id },
      restoreAvailable: true,
    });
  });

  it('refuses an environment rewind.yaml does not define', async () => {
    await expect(gatherLiveSignals(services(), 'nowhere')).rejects.toMatchObject({ code: 'REWIND_E_UNKNOWN_ENV' });
  });
});

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from './support/app-database.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// The audit log must tell who started a rollback and what it did to the database: a manual rollback
// is not "automatic", the database decision (code-only / restore / refused) is an event and part of
// the operation's history, and a refused rollback leaves a record without an operation or a lock.
// Real CLI, real PM2, the real PostgreSQL; read back from the ledger's events table.

const M0 = { 'prisma/migrations/20251201000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, nickname text);\n' };
// Additive, and without a down migration.
const M1 = { 'prisma/migrations/20260101000000_add_plan/migration.sql': 'ALTER TABLE users ADD COLUMN plan text;\n' };
// Breaking (the old code reads nickname), with a down migration so the deploy is allowed.
const M2 = {
  'prisma/migrations/20260201000000_drop_nickname/migration.sql': 'ALTER TABLE users DROP COLUMN nickname;\n',
  'prisma/migrations/20260201000000_drop_nickname/down.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
};

describe('rollback audit: trigger, database decision, refusal (real CLI, PM2, PostgreSQL)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  const rollbackEvents = async () => (await sandbox.ledger.listEvents(ENV, { limit: 500 })).filter((e) => e.event.startsWith('rollback_'));

  beforeAll(async () => {
    db = await createAppDatabase('rewind_audit');
    await db.migrate(M0);
    sandbox = await createSandbox({ databaseYaml: (root) => prismaDatabaseYaml(db, root) });
    await sandbox.release('1.0.0', { files: M0 });
    await sandbox.release('1.1.0', { files: { ...M0, ...M1 } });
    await sandbox.release('1.2.0', { files: { ...M0, ...M2 }, fault: { health: 'fail' } });
    await sandbox.release('1.3.0', { files: M0, fault: { health: 'fail' } });
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('a rollback refused as unsafe is audited, with no operation and no lock left', async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      const deployed = await sandbox.cli(['deploy', ENV, version]);
      expect(deployed.code, deployed.stderr).toBe(0);
    }
    const operations = (await sandbox.ledger.listOperations(ENV, { limit: 100 })).length;
    // --db down needs a down migration, and 1.1.0's has none: neither plan is safe.
    const refused = await sandbox.cli(['rollback', ENV, '--db', 'down', '--yes', '--reason', 'try the down']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('REWIND_E_ROLLBACK_UNSAFE');
    expect(refused.stdout).toContain('✗ rollback staging: 1.1.0 → 1.0.0 refused: --db down: migration 20260101000000_add_plan has no down migration');

    const [event] = (await rollbackEvents()).filter((e) => e.event === 'rollback_refused');
    expect(event).toMatchObject({
      operationId: null,
      actor: expect.any(String),
      fromVersion: '1.1.0',
      toVersion: '1.0.0',
      data: { trigger: 'manual', mode: 'freeze', reasons: ['--db down: migration 20260101000000_add_plan has no down migration'], requested: { to: null, db: 'down', reason: 'try the down' } },
    });
    expect(await sandbox.ledger.listOperations(ENV, { limit: 100 })).toHaveLength(operations);
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
  });

  it('a manual rollback is recorded as manual, with its database decision in the events and in history', async () => {
    const result = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'checkout is slow']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('database: code-only: migrations 20260101000000_add_plan are additive');
    expect(result.stdout).not.toContain('(automatic)');
    const operation = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(operation).toMatchObject({ kind: 'rollback', state: 'succeeded', reason: 'checkout is slow' });

    const events = (await rollbackEvents()).filter((e) => e.operationId === operation.id);
    expect(events.map((e) => e.event)).toEqual(['rollback_start', 'rollback_database_decision', 'rollback_complete']);
    expect(events[0]).toMatchObject({ actor: expect.any(String), data: { automatic: false, trigger: 'manual', reason: 'checkout is slow' } });
    expect(events[1]).toMatchObject({ fromVersion: '1.1.0', toVersion: '1.0.0', data: { trigger: 'manual', mode: 'code-only', reasons: [expect.stringContaining('are additive')] } });

    const history = JSON.parse((await sandbox.cli(['history', ENV, '--json'])).stdout) as { id: string; database?: unknown }[];
    expect(history.find((o) => o.id === operation.id)?.database).toEqual({ mode: 'code-only', reasons: [expect.stringContaining('20260101000000_add_plan are additive')] });
    const human = await sandbox.cli(['history', ENV]);
    expect(human.stdout).toContain('    database: code-only: migrations 20260101000000_add_plan are additive');
    const audit = await sandbox.cli(['history', ENV, '--events']);
    expect(audit.stdout).toMatch(/rollback_start +\S+ +1\.1\.0 → 1\.0\.0 +trigger=manual/);
  });

  it('the rollback a failed deploy starts by itself is automatic, and says it restores the backup', async () => {
    const result = await sandbox.cli(['deploy', ENV, '1.2.0', '--json']);
    expect(result.code, result.stderr).toBe(7);
    const rollback = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'succeeded', fromVersion: '1.2.0', toVersion: '1.0.0' });
    const backupId = (await sandbox.ledger.getRelease(ENV, '1.2.0'))!.database!.preUpgradeBackupId;
    expect(backupId).toEqual(expect.any(Number));

    const events = (await rollbackEvents()).filter((e) => e.operationId === rollback.id);
    expect(events.map((e) => e.event)).toEqual(['rollback_start', 'rollback_database_decision', 'rollback_complete']);
    expect(events[0]!.data).toMatchObject({ automatic: true, trigger: 'automatic' });
    expect(events[1]!.data).toMatchObject({ trigger: 'automatic', mode: 'restore', backupId, reasons: expect.arrayContaining([`restore backup #${backupId}, taken before 1.2.0 was deployed`]) });
    // The same, on stdout as JSON lines.
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.event === 'rollback_database_decision')).toMatchObject({ operationId: rollback.id, mode: 'restore', backupId });

    const history = JSON.parse((await sandbox.cli(['history', ENV, '--json', '--limit', '2'])).stdout) as { id: string; kind: string; database?: { mode: string; backupId?: number } }[];
    expect(history.map((o) => [o.kind, o.database?.mode, o.database?.backupId])).toEqual([
      ['rollback', 'restore', backupId],
      ['deploy', undefined, undefined],
    ]);
  });

  it('an automatic rollback that stops in its preflight leaves the failed release: exit 8 with the cause, not 6', async () => {
    // The last known good release can no longer be put back: its directory, rewind's stored copy and its artifact are gone.
    const { digest } = (await sandbox.ledger.getRelease(ENV, '1.0.0'))!;
    await rm(join(sandbox.root, 'srv', 'releases', '1.0.0'), { recursive: true, force: true });
    await rm(join(sandbox.root, 'rewind-artifacts', 'sha256', digest.replace('sha256:', '')), { recursive: true });
    await rm(join(sandbox.root, 'artifacts', 'sample-app-1.0.0'), { recursive: true, force: true });
    const result = await sandbox.cli(['deploy', ENV, '1.3.0', '--json']);
    expect(result.code, result.stderr).toBe(8);
    expect(result.stderr).toContain('error REWIND_E_DEPLOY_FAILED: deploy of 1.3.0 failed at health');
    expect(result.stderr).toContain('not rolled back: rollback 1.3.0 → 1.0.0 stopped before anything was touched at prepare (cause REWIND_E_ARTIFACT_NOT_FOUND)');
    const error = (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { error: Record<string, unknown> }).error;
    expect(error).toMatchObject({ code: 'REWIND_E_DEPLOY_FAILED', step: 'prepare', cause: 'REWIND_E_ARTIFACT_NOT_FOUND' });
    // The failed release is what runs; the rollback is recorded as failed at prepare; the lock is free.
    expect(await sandbox.served()).toMatchObject({ version: '1.3.0' });
    const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'failed', toVersion: '1.0.0' });
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  });
});

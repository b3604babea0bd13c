import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChecklistView } from '../src/core/incidents/checklist.js';
import type { IncidentView } from '../src/core/incidents/incident-view.js';
import type { IncidentRecord } from '../src/ports/ledger.js';
import { packageRoot } from '../src/util/package-root.js';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from './support/app-database.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// After the rollback: the incident every rollback opens or joins, `rewind incident`, the report and
// the checklists. Real CLI (dist/), real PM2, the real PostgreSQL app database, a SQLite ledger; one
// sandbox for the whole file, the tests in order.

const SUITE = join(packageRoot(), 'examples', 'smoke', 'minimal.yaml');
const M0 = { 'prisma/migrations/20251201000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, nickname text);\n' };
// Breaking (the old code reads nickname), with a down so the deploy is allowed: its rollback restores the backup.
const M2 = {
  'prisma/migrations/20260201000000_drop_nickname/migration.sql': 'ALTER TABLE users DROP COLUMN nickname;\n',
  'prisma/migrations/20260201000000_drop_nickname/down.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
};

/** The headings of seed 004's incident report template, then seed 002's sections and seed 004's communication templates. */
const GOLDEN_HEADINGS = [
  '# Incident Report: <date> Rollback',
  '## Summary',
  '## Timeline',
  '## Impact',
  '## Root Cause',
  '## Resolution',
  '## Prevention',
  '## Action Items',
  '## Root Cause Analysis',
  '## Update Procedures',
  '## Rollback Checklist',
  '## Communication',
  '### Internal notification',
  '### User notification',
];

describe('incidents, reports and checklists after a rollback (real CLI, PM2, PostgreSQL)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  let automatic: string;
  let manual: string;
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await sandbox.cli([...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const events = async (prefix: string) => (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).filter((e) => e.event.startsWith(prefix));

  const previousToken = process.env.OPERATOR_TOKEN;
  beforeAll(async () => {
    // The smoke suite sends ${OPERATOR_TOKEN}; the sandbox's app is started with this value.
    process.env.OPERATOR_TOKEN = 'demo-operator-token';
    db = await createAppDatabase('rewind_incidents');
    await db.migrate(M0);
    sandbox = await createSandbox({
      databaseYaml: (root, port) => `${prismaDatabaseYaml(db, root)}\n    smoke:\n      suite: ${SUITE}\n      baseUrl: http://127.0.0.1:${port}\n      timeoutMs: 2000`,
    });
    await sandbox.release('1.0.0', { files: M0 });
    await sandbox.release('1.1.0', { files: { ...M0, ...M2 }, fault: { health: 'fail' } });
    await sandbox.release('1.2.0', { files: M0 });
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    if (previousToken === undefined) delete process.env.OPERATOR_TOKEN;
    else process.env.OPERATOR_TOKEN = previousToken;
  });

  it("a failed deploy's automatic rollback opens an incident: severity from the matrix, versions, database plan and what it lost, timeline from the journal", async () => {
    const first = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
    const failed = await sandbox.cli(['deploy', ENV, '1.1.0']);
    expect(failed.code, failed.stderr).toBe(7);
    const [rollback, deploy] = await sandbox.ledger.listOperations(ENV, { limit: 2 });
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'succeeded', fromVersion: '1.1.0', toVersion: '1.0.0', parentId: deploy!.id });
    automatic = rollback!.id;
    const backupId = (await sandbox.ledger.getRelease(ENV, '1.1.0'))!.database!.preUpgradeBackupId!;
    const backup = (await sandbox.ledger.getBackup(backupId))!;

    const list = await json<IncidentRecord[]>(['incident', 'list', ENV]);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ env: ENV, status: 'open', severity: 'high' });
    const view = await json<IncidentView & { openedAt: string }>(['incident', 'show', String(list[0]!.id)]);
    expect(view.rollbacks).toEqual([
      {
        operationId: automatic,
        parentId: deploy!.id,
        trigger: 'automatic',
        from: '1.1.0',
        to: '1.0.0',
        succeeded: true,
        issue: 'failed-deploy',
        severity: 'high',
        rule: 'a release that failed its checks after deployment and still serves is High: roll back',
        reason: expect.stringContaining('deploy of 1.1.0 failed at health'),
        database: { mode: 'restore', reasons: expect.any(Array), backupId, backupTakenAt: new Date(backup.createdAt).toISOString() },
      },
    ]);
    expect(view.openedAt).toBe(new Date(rollback!.startedAt).toISOString());
    // The timeline is the journal's: the deploy's failed health step, then the rollback's own steps.
    const deploySteps = await sandbox.ledger.listSteps(deploy!.id);
    const rollbackSteps = await sandbox.ledger.listSteps(automatic);
    const iso = (ms: number | null | undefined) => new Date(ms!).toISOString();
    const step = (steps: typeof rollbackSteps, id: string) => steps.find((s) => s.stepId === id)!;
    expect(view.timeline.map((e) => [e.kind, e.at])).toEqual([
      ['detected', iso(step(deploySteps, 'health').finishedAt)],
      ['rollback-initiated', iso(rollback!.startedAt)],
      ['database-restored', iso(rollbackSteps.find((s) => s.kind === 'db-restore')!.finishedAt)],
      ['rollback-completed', iso(step(rollbackSteps, 'activate').finishedAt)],
      ['service-restored', iso(Math.max(...rollbackSteps.filter((s) => ['health', 'smoke', 'db-verify'].includes(s.kind)).map((s) => s.finishedAt!)))],
    ]);
    expect(view.timeline[0]!.text).toContain('health of the deploy of 1.1.0 failed');
    expect(view.dataLoss).toEqual([`writes made since ${iso(backup.createdAt)} are lost: the database was restored from backup #${backupId} (rollback ${automatic})`]);
    expect(view.downtimeMs).toBeGreaterThan(0);
    expect((await events('incident_')).map((e) => [e.event, e.operationId, e.data.incidentId, e.data.severity])).toEqual([['incident_opened', automatic, list[0]!.id, 'high']]);
  });

  it('a second rollback joins the open incident; the severity stays the worse one', async () => {
    expect((await sandbox.cli(['deploy', ENV, '1.2.0'])).code).toBe(0);
    const result = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'checkout is slow']);
    expect(result.code, result.stderr).toBe(0);
    manual = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!.id;
    const list = await json<IncidentView[]>(['incident', 'list']);
    expect(list).toHaveLength(1);
    expect(list[0]!.severity).toBe('high');
    expect(list[0]!.rollbacks.map((r) => [r.operationId, r.trigger, r.from, r.to, r.issue, r.severity, r.database?.mode])).toEqual([
      [automatic, 'automatic', '1.1.0', '1.0.0', 'failed-deploy', 'high', 'restore'],
      [manual, 'manual', '1.2.0', '1.0.0', 'unspecified-issue', 'medium', 'code-only'],
    ]);
    const view = await json<IncidentView>(['incident', 'show', String(list[0]!.id)]);
    // A person's rollback has no failing check to date it: the detection time is theirs to give.
    expect(view.timeline.filter((e) => e.operationId === manual).map((e) => [e.kind, e.at === null])).toEqual([
      ['detected', true],
      ['rollback-initiated', false],
      ['rollback-completed', false],
      ['service-restored', false],
    ]);
    expect((await events('incident_')).map((e) => [e.event, e.operationId, e.data.severity])).toEqual([
      ['incident_opened', automatic, 'high'],
      ['incident_joined', manual, 'high'],
    ]);
  });

  it('update and close are audited; bad input is a coded error that changes nothing', async () => {
    const id = String((await sandbox.ledger.listIncidents({ env: ENV }))[0]!.id);
    const before = await sandbox.ledger.getIncident(Number(id));
    for (const [args, code, error] of [
      [['incident', 'update', id, '--severity', 'catastrophic'], 2, 'REWIND_E_USAGE'],
      [['incident', 'update', id, '--remove-action', '1'], 2, 'REWIND_E_USAGE'],
      [['incident', 'update', id, '--detected', 'yesterday'], 2, 'REWIND_E_USAGE'],
      [['incident', 'update', id], 2, 'REWIND_E_USAGE'],
      [['incident', 'update', '999', '--impact', 'x'], 3, 'REWIND_E_INCIDENT_NOT_FOUND'],
      [['incident', 'show', 'abc'], 3, 'REWIND_E_INCIDENT_NOT_FOUND'],
    ] as const) {
      const result = await sandbox.cli([...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(error);
    }
    expect(await sandbox.ledger.getIncident(Number(id))).toEqual(before);
    expect(await events('incident_updated')).toEqual([]);

    const updated = await json<IncidentView>([
      'incident', 'update', id,
      '--impact', 'sign-ups failed for 2 minutes',
      '--users-affected', 'about 40',
      '--root-cause', 'the release dropped a column the old code reads',
      '--prevention', 'lint migrations in CI',
      '--add-action', 'add a test for sign-up',
      '--add-action', 'typo',
      '--add-action', 'page on health failures',
    ]);
    expect(updated.fields).toMatchObject({ impact: 'sign-ups failed for 2 minutes', usersAffected: 'about 40' });
    const removed = await json<IncidentView>(['incident', 'update', id, '--remove-action', '2', '--detected', '2026-03-01T12:00:00Z']);
    expect(removed.fields.actionItems!.map((a) => a.text)).toEqual(['add a test for sign-up', 'page on health failures']);
    expect(removed.fields.detectedAt).toBe('2026-03-01T12:00:00.000Z');
    const audit = await events('incident_updated');
    expect(audit.map((e) => e.data.changes)).toEqual([
      { impact: 'sign-ups failed for 2 minutes', usersAffected: 'about 40', rootCause: 'the release dropped a column the old code reads', prevention: 'lint migrations in CI', addedActions: ['add a test for sign-up', 'typo', 'page on health failures'] },
      { detectedAt: Date.parse('2026-03-01T12:00:00Z'), removedActions: ['typo'] },
    ]);
    expect(audit[0]!.actor).toEqual(expect.any(String));
  });

  it('the report is seed 004 and 002 filled in, with explicit placeholders, and the same bytes twice (Markdown and JSON)', async () => {
    const id = String((await sandbox.ledger.listIncidents({ env: ENV }))[0]!.id);
    const first = await sandbox.cli(['incident', 'report', id]);
    const second = await sandbox.cli(['incident', 'report', id]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const md = first.stdout;
    expect(md.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/\d{4}-\d{2}-\d{2}/, '<date>'))).toEqual(GOLDEN_HEADINGS);
    expect(md).toContain('- Users affected: about 40');
    expect(md).toContain('## Root Cause\nthe release dropped a column the old code reads\n');
    expect(md).toMatch(/- Data loss: Yes — writes made since \d{4}-\d\d-\d\dT[\d:.]+Z are lost/);
    expect(md).toContain("[TO FILL IN: why it wasn't caught earlier — rewind incident update " + id + ' --why-not-caught "…"]');
    expect(md).toContain('- [ ] add a test for sign-up');
    expect(md).toContain(`**Rollback ${automatic} (1.1.0 → 1.0.0)**: `);
    expect(md).toMatch(/- \[x\] post: Run smoke tests — rewind: step smoke: /);
    expect(md).toContain('- [ ] post: Monitor for 30 minutes — no post-rollback watch ran');
    expect(md).toContain('Resolution: Rolled back to v1.0.0');
    expect(md).toMatch(/Subject: \[RESOLVED\] staging Rollback - \d{4}-\d\d-\d\d/);
    // The person's detection time (--detected) starts the window.
    expect(md).toMatch(/We briefly experienced technical difficulties between 2026-03-01T12:00:00.000Z and \d{4}-\d\d-\d\dT[\d:.]+Z\./);
    const shown = await sandbox.cli(['incident', 'show', id]);
    expect(shown.stdout).toContain(`incident #${id}  staging  open  severity high`);
    expect(shown.stdout).toContain('users-affected: about 40');
    expect(shown.stdout).toContain('  1. add a test for sign-up');
    expect((await sandbox.cli(['incident', 'list'])).stdout).toMatch(new RegExp(`^#${id}  staging  open +high +\\S+Z  1\\.1\\.0 → 1\\.0\\.0, 1\\.2\\.0 → 1\\.0\\.0$`, 'm'));
    const jsonA = await sandbox.cli(['incident', 'report', id, '--json']);
    const jsonB = await sandbox.cli(['incident', 'report', id, '--json']);
    expect(jsonB.stdout).toBe(jsonA.stdout);
    const report = JSON.parse(jsonA.stdout) as { markdown: string; notifications: { internal: { subject: string }; user: { body: string } } };
    expect(report.markdown).toBe(md);
    expect(report.notifications.user.body).toContain('all services are now operating normally');
  });

  it('checklists: rewind ticks what the journal proves, with evidence; a person ticks the rest (audited); status shows what is open', async () => {
    const view = await json<ChecklistView>(['checklist', 'show', automatic]);
    const item = (id: string) => view.items.find((i) => i.id === id)!;
    expect(item('rollback-version')).toMatchObject({ state: 'done', by: 'rewind', evidence: expect.stringContaining('1.0.0: 1.0.0 is the last known good release') });
    const safety = (await sandbox.ledger.listSteps(automatic)).find((s) => s.kind === 'db-backup' && s.state === 'succeeded')!;
    const backup = (await sandbox.ledger.getBackup((safety.detail as { backupId: number }).backupId))!;
    expect(item('backup-created')).toMatchObject({ state: 'done', by: 'rewind', evidence: expect.stringContaining(`backup #${backup.id}, sha256 ${backup.sha256}`) });
    expect(item('smoke-tests')).toMatchObject({ state: 'done', by: 'rewind', evidence: expect.stringMatching(/^step smoke: /) });
    expect(item('services-healthy')).toMatchObject({ state: 'done', by: 'rewind' });
    expect(item('database-rolled-back')).toMatchObject({ state: 'done', evidence: expect.stringContaining('restored backup #') });
    expect(item('incident-ticket')).toMatchObject({ state: 'done', evidence: expect.stringMatching(/^incident #\d+/) });
    expect(item('incident-documented')).toMatchObject({ state: 'done' });
    // No post-rollback watch of 30 minutes ran: rewind does not tick it.
    expect(item('monitor-window')).toMatchObject({ text: 'Monitor for 30 minutes', state: 'open', by: null, evidence: expect.stringContaining('no post-rollback watch ran') });
    expect(item('team-notified')).toMatchObject({ state: 'open', by: null });
    expect(view.open).toContain('team-notified');

    const human = await sandbox.cli(['checklist', 'show', automatic]);
    expect(human.stdout).toContain(`checklist of rollback ${automatic} (staging: 1.1.0 → 1.0.0) — ${view.open.length} open`);
    expect(human.stdout).toMatch(/\[x\] rollback-version +Identify the stable version to roll back to/);
    expect(human.stdout).toMatch(/\[ \] team-notified +Notify the team/);

    const unknown = await sandbox.cli(['checklist', 'tick', automatic, 'bake-a-cake', '--note', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('REWIND_E_CHECKLIST_ITEM_UNKNOWN');
    expect((await sandbox.cli(['checklist', 'tick', automatic, 'team-notified'])).code).toBe(2);
    expect((await sandbox.cli(['checklist', 'show', 'no-such-op'])).stderr).toContain('REWIND_E_OPERATION_NOT_FOUND');
    expect(await sandbox.ledger.listChecklistTicks(automatic)).toEqual([]);

    const ticked = await json<ChecklistView>(['checklist', 'tick', automatic, 'team-notified', '--note', 'posted in #ops']);
    expect(ticked.items.find((i) => i.id === 'team-notified')).toMatchObject({ state: 'done', by: 'person', note: 'posted in #ops', actor: expect.any(String) });
    expect(ticked.open).not.toContain('team-notified');
    expect((await events('checklist_')).map((e) => [e.operationId, e.data.item, e.data.note])).toEqual([[automatic, 'team-notified', 'posted in #ops']]);

    const status = await json<{ checklist: { operationId: string; open: string[] } }>(['status', ENV]);
    expect(status.checklist.operationId).toBe(manual);
    expect(status.checklist.open).toEqual(expect.arrayContaining(['team-notified', 'monitor-window']));
    expect((await sandbox.cli(['status', ENV])).stdout).toContain(`checklist       ${status.checklist.open.length} open for rollback ${manual}`);
  });

  it('close is audited and final; an incident that cannot be written never fails the rollback', async () => {
    const id = String((await sandbox.ledger.listIncidents({ env: ENV }))[0]!.id);
    const closed = await json<IncidentView>(['incident', 'close', id, '--resolution', 'rolled back; fixed in 1.3.0']);
    expect(closed).toMatchObject({ status: 'closed', closedBy: expect.any(String), fields: { resolution: 'rolled back; fixed in 1.3.0' } });
    expect((await events('incident_closed')).map((e) => e.data)).toEqual([{ incidentId: Number(id), resolution: 'rolled back; fixed in 1.3.0' }]);
    const again = await sandbox.cli(['incident', 'update', id, '--impact', 'more']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('REWIND_E_INCIDENT_CLOSED');

    // The incidents table is gone (a ledger mid-repair): the rollback still succeeds, and says so.
    expect((await sandbox.cli(['deploy', ENV, '1.2.0'])).code).toBe(0);
    const raw = new Database(join(sandbox.root, 'rewind.db'));
    try {
      raw.exec('ALTER TABLE incidents RENAME TO incidents_away');
      const result = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'again']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('could not be recorded');
      expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
      const operation = (await sandbox.ledger.listOperations(ENV, { limit: 1 }))[0]!;
      expect(operation).toMatchObject({ kind: 'rollback', state: 'succeeded' });
      expect((await events('incident_record_failed')).map((e) => e.operationId)).toEqual([operation.id]);
    } finally {
      raw.exec('ALTER TABLE incidents_away RENAME TO incidents');
      raw.close();
    }
    expect((await sandbox.ledger.listIncidents({ env: ENV })).map((i) => i.status)).toEqual(['closed']);
  });
});

import { appendFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChecklistView } from '../src/core/incidents/checklist.js';
import type { IncidentView } from '../src/core/incidents/incident-view.js';
import { deploy } from '../src/core/operations/deploy.js';
import type { Plan } from '../src/core/plan.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// The post-rollback watch window ("monitor for 30 minutes", "metrics normalized"): real CLI (dist/),
// real PM2 and the sample app, measured by the http-probe source. Windows of 2 s, and
// incidents.watchMinutes of 0.03 (1.8 s) so a 2 s window is long enough to tick the monitor item.
const WATCH = (port: number) => `    watch:
      windowMs: 2000
      intervalMs: 500
      afterRollbackMs: 2000
      source:
        type: http-probe
        url: http://127.0.0.1:${port}/
        requests: 20
        concurrency: 2`;

describe('post-rollback watch window (real CLI, PM2, http-probe)', () => {
  let sandbox: Sandbox;
  const json = async <T>(args: string[], code = 0): Promise<T> => {
    const result = await sandbox.cli([...args, '--json']);
    expect(result.code, result.stderr).toBe(code);
    return JSON.parse(result.stdout) as T;
  };
  const item = (view: ChecklistView, id: string) => view.items.find((i) => i.id === id)!;

  beforeAll(async () => {
    sandbox = await createSandbox({ databaseYaml: (_root, port) => WATCH(port) });
    await appendFile(sandbox.configPath, 'incidents:\n  watchMinutes: 0.03\n');
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
    // Serves its health check but fails half of the ordinary requests: a watch proves it bad.
    await sandbox.release('1.3.0', { fault: { errorRate: 0.5 } });
    for (const version of ['1.0.0', '1.1.0']) expect((await deploy(sandbox.services, ENV, version)).error?.message).toBeUndefined();
  });
  afterAll(async () => sandbox?.close());

  it('--dry-run shows the watch as the last step of the plan; a bad --watch is a usage error', async () => {
    const dry = await json<{ plan: Plan }>(['rollback', ENV, '--dry-run', '--watch', '90s']);
    expect(dry.plan.steps.map((s) => s.id).slice(-2)).toEqual(['rollback-complete', 'post-rollback-watch']);
    expect(dry.plan.steps.at(-1)).toMatchObject({ kind: 'watch', params: { version: '1.0.0', windowMs: 90_000, afterRollback: true } });
    const off = await json<{ plan: Plan }>(['rollback', ENV, '--dry-run', '--watch', 'off']);
    expect(off.plan.steps.map((s) => s.id)).not.toContain('post-rollback-watch');
    const bad = await sandbox.cli(['rollback', ENV, '--yes', '--watch', '30 minutes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('REWIND_E_USAGE');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
  });

  it('a rollback whose watch passes ticks "monitor" and "metrics normalized" with the evidence; service restored counts the watch', async () => {
    const result = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'checkout is broken']);
    expect(result.code, result.stderr).toBe(0);
    const [operation] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(operation).toMatchObject({ kind: 'rollback', state: 'succeeded', toVersion: '1.0.0' });
    const steps = await sandbox.ledger.listSteps(operation!.id);
    const watch = steps.find((s) => s.stepId === 'post-rollback-watch')!;
    expect(steps.at(-1)!.stepId).toBe('post-rollback-watch');
    expect(watch).toMatchObject({ kind: 'watch', state: 'succeeded' });
    const samples = new Set((watch.detail as { measurements: { seq: number }[] }).measurements.map((m) => m.seq)).size;
    expect(samples).toBe(4);

    const checklist = await json<ChecklistView>(['checklist', 'show', operation!.id]);
    expect(item(checklist, 'monitor-window')).toMatchObject({ state: 'done', by: 'rewind', text: 'Monitor for 0.03 minutes' });
    expect(item(checklist, 'monitor-window').evidence).toMatch(/^step post-rollback-watch watched 1\.0\.0 for 2 s, 4 samples: watch window passed/);
    expect(item(checklist, 'metrics-normalized')).toMatchObject({ state: 'done', by: 'rewind' });
    expect(item(checklist, 'metrics-normalized').evidence).toContain('(4 samples)');
    expect(checklist.open).not.toContain('monitor-window');

    const [incident] = await json<IncidentView[]>(['incident', 'list', ENV]);
    const view = await json<IncidentView & { restoredAt: string }>(['incident', 'show', String(incident!.id)]);
    const restored = view.timeline.find((e) => e.kind === 'service-restored')!;
    expect(restored.text).toContain('post-rollback-watch');
    expect(restored.at).toBe(new Date(watch.finishedAt!).toISOString());
    expect(view.restoredAt).toBe(restored.at);
    expect((await sandbox.cli(['incident', 'close', String(incident!.id), '--resolution', 'rolled back'])).code).toBe(0);
  });

  it('a rollback whose watch fails fails (exit 9), leaves the monitor items open and the report says service was not restored', async () => {
    const result = await sandbox.cli(['rollback', ENV, '--to', '1.3.0', '--force', '--yes', '--watch', '2s', '--reason', 'drill: a target that fails']);
    expect(result.code, result.stderr).toBe(9);
    expect(result.stderr).toContain('REWIND_E_ROLLBACK_FAILED');
    expect(result.stderr).toContain('1.3.0 serves again, but its watch failed');
    const [operation] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(operation).toMatchObject({ kind: 'rollback', state: 'failed', toVersion: '1.3.0' });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.3.0' });
    // It serves, but it did not show it is good: the next rollback must not return to it.
    expect(result.stderr).toContain('1.3.0 stays live but is no longer a last known good');
    expect((await sandbox.ledger.getRelease(ENV, '1.3.0'))?.state).toBe('live');
    expect((await sandbox.ledger.findLastKnownGood(ENV, null))?.version).not.toBe('1.3.0');

    const checklist = await json<ChecklistView>(['checklist', 'show', operation!.id]);
    expect(item(checklist, 'monitor-window')).toMatchObject({ state: 'open', by: null });
    expect(item(checklist, 'monitor-window').evidence).toMatch(/^the post-rollback watch failed: watch window: .*error_rate/);
    expect(item(checklist, 'metrics-normalized')).toMatchObject({ state: 'open', by: null });
    expect(checklist.open).toEqual(expect.arrayContaining(['monitor-window', 'metrics-normalized']));

    const incidents = await json<IncidentView[]>(['incident', 'list', ENV, '--open']);
    expect(incidents).toHaveLength(1);
    const view = await json<IncidentView>(['incident', 'show', String(incidents[0]!.id)]);
    expect(view.timeline.map((e) => e.kind)).toEqual(['detected', 'rollback-initiated', 'rollback-completed', 'service-not-restored']);
    expect(view.timeline.at(-1)!.text).toMatch(/^service not restored: post-rollback-watch failed: watch window: .*error_rate/);
    expect(view.restoredAt).toBeNull();
    const report = await sandbox.cli(['incident', 'report', String(incidents[0]!.id)]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/Service not restored.*post-rollback-watch failed/);
  });
});

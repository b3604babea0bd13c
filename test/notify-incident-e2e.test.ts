import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../src/core/incidents/incident-view.js';
import { incidentTime } from '../src/events/incident-templates.js';
import { startNotifyReceiver, type NotifyReceiver } from './support/notify-receiver.js';
import { createSandbox, ENV, runCli, waitFor, type Sandbox } from './support/sandbox.js';

// The INCIDENT ALERT and RESOLVED texts filled from the incident: real CLI (dist/), real PM2 and the
// sample app, a SQLite ledger's outbox, and a local Slack-style receiver.

const SLACK_PATH = '/services/T0AAAAAAA/B0BBBBBBB/slackPathSecret0123';

describe('incident texts carry the incident (real CLI, PM2, a local Slack receiver)', () => {
  let sandbox: Sandbox;
  let receiver: NotifyReceiver;
  const texts = () => receiver.requests.filter((r) => r.path === SLACK_PATH).map((r) => (JSON.parse(r.body) as { text: string }).text);
  const waitForText = (first: string, count: number) => waitFor(async () => texts().filter((t) => t.startsWith(first)).length >= count && texts().filter((t) => t.startsWith(first)), 20_000);

  beforeAll(async () => {
    receiver = await startNotifyReceiver(() => 200);
    sandbox = await createSandbox({ databaseYaml: () => `    notify:\n      slack:\n        - webhookUrl: ${receiver.url}${SLACK_PATH}\n          events: [rollback_start, rollback_complete]` });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
    await sandbox.release('1.2.0');
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  it("a failed deploy's rollback: the alert has the matrix's severity and the failed check's time, the resolution the incident's number", async () => {
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    expect((await sandbox.cli(['deploy', ENV, '1.1.0'])).code).toBe(7);
    const [alert] = await waitForText('🚨 INCIDENT ALERT', 1);
    const [resolved] = await waitForText('✅ INCIDENT RESOLVED', 1);
    const [incident] = JSON.parse((await sandbox.cli(['incident', 'list', ENV, '--json'])).stdout) as IncidentView[];
    expect(incident).toMatchObject({ severity: 'high', status: 'open' });
    const [, deploy] = await sandbox.ledger.listOperations(ENV, { limit: 2 });
    const health = (await sandbox.ledger.listSteps(deploy!.id)).find((s) => s.stepId === 'health')!;

    expect(alert).toContain('**Incident**: new (its number follows in the resolution)\n**Severity**: High\n');
    expect(alert).toContain(`- ${incidentTime(health.finishedAt!)} - Issue detected`);
    expect(alert).toContain('**Action**: Rolling back staging to version 1.0.0');
    expect(resolved).toContain(`**Incident**: #${incident!.id}\n**Severity**: High\n**Resolution**: Rolled back staging to version 1.0.0`);
  });

  it('a rollback that joins the open incident: its alert names the incident, the worse severity and the impact a person recorded', async () => {
    const [incident] = JSON.parse((await sandbox.cli(['incident', 'list', ENV, '--json'])).stdout) as IncidentView[];
    expect((await sandbox.cli(['incident', 'update', String(incident!.id), '--impact', 'EU checkout failed'])).code).toBe(0);
    expect((await sandbox.cli(['deploy', ENV, '1.2.0'])).code).toBe(0);
    const rolled = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'checkout slow']);
    expect(rolled.code, rolled.stderr).toBe(0);
    const alerts = await waitForText('🚨 INCIDENT ALERT', 2);
    const resolutions = await waitForText('✅ INCIDENT RESOLVED', 2);
    // A person's rollback alone is Medium; the incident it joins is High, and the texts say the worse.
    expect(alerts[1]).toContain(`**Incident**: #${incident!.id}\n**Severity**: High\n**Impact**: EU checkout failed\n`);
    expect(resolutions[1]).toContain(`**Incident**: #${incident!.id}\n**Severity**: High\n`);
    expect(resolutions[1]).toContain('**Impact**: EU checkout failed\n');
  });

  it('a template with a placeholder rewind does not fill is REWIND_E_CONFIG_INVALID when the config loads: nothing is run', async () => {
    const bad = join(sandbox.root, 'bad-template.yaml');
    const yaml = await readFile(sandbox.configPath, 'utf8');
    await writeFile(bad, yaml.replace('          events: [rollback_start, rollback_complete]', '          events: [rollback_start, rollback_complete]\n      incident:\n        alert: "{{severity}} in {{env}}, caused by {{culprit}}"'));
    const before = await sandbox.ledger.listOperations(ENV, { limit: 100 });
    const requests = receiver.requests.length;
    const result = await runCli(['rollback', ENV, '--yes', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('REWIND_E_CONFIG_INVALID');
    expect(result.stderr).toContain('{{culprit}}');
    expect(await sandbox.ledger.listOperations(ENV, { limit: 100 })).toEqual(before);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    expect(receiver.requests.length).toBe(requests);
  });
});

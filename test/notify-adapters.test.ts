import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../src/adapters/registry.js';
import { pagerdutySchema } from '../src/adapters/notifiers/pagerduty/pagerduty-config.js';
import { pagerdutyDestination } from '../src/adapters/notifiers/pagerduty/pagerduty-destination.js';
import { parseConfigText } from '../src/config/load-config.js';
import { configSecretValues } from '../src/config/config-secrets.js';
import { EventFanout } from '../src/events/event-sinks.js';
import { DEFAULT_INCIDENT_SETTINGS, incidentText } from '../src/events/incident-templates.js';
import { NotificationDeliverer } from '../src/events/notification-deliverer.js';
import { NotifyOutboxSink } from '../src/events/notify-outbox-sink.js';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { RewindEvent } from '../src/ports/event-sink.js';
import type { Ledger } from '../src/ports/ledger.js';
import type { NotifierDestination } from '../src/ports/notifier.js';
import { pagerDutyProblems, slackProblems } from './support/notifier-wire.js';
import { startNotifyReceiver, type NotifyReceiver } from './support/notify-receiver.js';

// Slack and PagerDuty as configured in rewind.yaml, built through the registry, queued in a real
// SQLite ledger's outbox and delivered to local receivers; the incident texts byte for byte.

const AT_START = Date.UTC(2026, 11, 6, 10, 54, 30);
const ROLLBACK_START: RewindEvent = {
  event: 'rollback_start',
  env: 'production',
  operationId: 'op-42',
  from: '1.4.0',
  to: '1.3.2',
  automatic: true,
  trigger: 'automatic',
  reason: 'health: unhealthy (HTTP 503)',
  // What the rollback knows of its incident at the start: the matrix's severity, when the deploy's check failed.
  severity: 'high',
  issue: 'failed-deploy',
  detectedAt: new Date(AT_START - 90_000).toISOString(),
  at: AT_START,
};
const ROLLBACK_DONE: RewindEvent = {
  event: 'rollback_complete',
  env: 'production',
  operationId: 'op-42',
  from: '1.4.0',
  to: '1.3.2',
  success: true,
  durationMs: 64_000,
  severity: 'high',
  incidentId: 7,
  at: AT_START + 64_000,
};

const EXPECTED_ALERT = `🚨 INCIDENT ALERT

**Status**: Rollback in progress
**Incident**: new (its number follows in the resolution)
**Severity**: High
**Impact**: production served release 1.4.0, which failed: health: unhealthy (HTTP 503)
**Action**: Rolling back production to version 1.3.2
**ETA**: 5 min (2026-12-06 10:59 UTC)

**Timeline:**
- 2026-12-06 10:53 UTC - Issue detected
- 2026-12-06 10:54 UTC - Rollback initiated
- 2026-12-06 10:59 UTC - Rollback complete (estimated)

**Next Update**: 2026-12-06 11:24 UTC`;

const EXPECTED_RESOLVED = `✅ INCIDENT RESOLVED

**Status**: Resolved
**Incident**: #7
**Severity**: High
**Resolution**: Rolled back production to version 1.3.2
**Duration**: 1 min 4 s
**Impact**: production served release 1.4.0, which failed

**Next Steps:**
- Root cause analysis scheduled
- Fix planned for next deployment
- Post-mortem meeting scheduled

Thank you for your patience.`;

const ROUTING_KEY = 'R0ABCDEF0123456789abcdef01234567';
const SLACK_PATH = '/services/T0AAAAAAA/B0BBBBBBB/slackSecretPathToken';

function configYaml(receiver: string, incident = ''): string {
  return `environments:
  production:
    target: { type: releases, path: /srv/app, runtime: { type: pm2, name: app } }
    notify:
      slack:
        - webhookUrl: ${receiver}${SLACK_PATH}
      pagerduty:
        - routingKey: ${ROUTING_KEY}
          endpoint: ${receiver}
          severity: error
          events: [rollback_start, rollback_complete, deploy_complete]
      delivery: { maxAttempts: 2, baseMs: 1, maxMs: 5 }
${incident}`;
}

describe('incident texts', () => {
  it('the default alert and resolution, byte for byte, on a fixture rollback', () => {
    expect(incidentText(ROLLBACK_START, DEFAULT_INCIDENT_SETTINGS)).toBe(EXPECTED_ALERT);
    expect(incidentText(ROLLBACK_DONE, DEFAULT_INCIDENT_SETTINGS)).toBe(EXPECTED_RESOLVED);
    // Only a rollback's start and its success have one; a failed rollback resolves nothing.
    expect(incidentText({ ...ROLLBACK_DONE, success: false, error: 'health: unhealthy' } as RewindEvent)).toBeUndefined();
    expect(incidentText({ event: 'deploy_start', env: 'production', operationId: 'op-1', from: null, to: '1.0.0' })).toBeUndefined();
    // A message queued without incident fields (by an older rewind) still reads.
    const bare = { ...ROLLBACK_START, severity: undefined, detectedAt: undefined } as RewindEvent;
    expect(incidentText(bare)).toContain('**Severity**: Critical');
    expect(incidentText(bare)).toContain('- 2026-12-06 10:54 UTC - Issue detected');
    // The impact a person recorded on the incident is said before the environment's default.
    expect(incidentText({ ...ROLLBACK_DONE, impact: 'EU checkout failed for 4 minutes' } as RewindEvent)).toContain('**Impact**: EU checkout failed for 4 minutes');
  });

  it('notify.incident overrides them per environment; a placeholder rewind does not fill is refused when the config is loaded', () => {
    const config = parseConfigText(
      configYaml('http://127.0.0.1:9', `      incident:\n        severity: High\n        impact: Checkout down for EU customers\n        alert: "{{severity}} in {{env}}: back to {{to}} by {{estimatedCompleteAt}} ({{impact}})"\n`),
      '/etc/rewind',
      {},
    );
    const incident = config.environments.production!.notify!.incident;
    expect(incidentText(ROLLBACK_START, incident)).toBe('High in production: back to 1.3.2 by 2026-12-06 10:59 UTC (Checkout down for EU customers)');
    expect(incidentText(ROLLBACK_DONE, incident)).toBe(EXPECTED_RESOLVED.replace('production served release 1.4.0, which failed', 'Checkout down for EU customers'));
    expect(() => parseConfigText(configYaml('http://127.0.0.1:9', `      incident:\n        resolved: "fixed in {{env}} by {{culprit}}"\n`), '/etc/rewind', {})).toThrow(
      expect.objectContaining({ code: 'REWIND_E_CONFIG_INVALID', message: expect.stringContaining('unknown placeholder(s) {{culprit}}') }),
    );
  });
});

describe('Slack and PagerDuty from rewind.yaml, through the outbox', () => {
  let dir: string;
  let ledger: Ledger;
  let receiver: NotifyReceiver;
  let destinations: readonly NotifierDestination[];
  let deliverer: NotificationDeliverer;
  let sink: EventFanout;
  const byPath = (path: string) => receiver.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as Record<string, any>);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-notify-adapters-'));
    ledger = await openLedger(join(dir, 'ledger.db'));
    receiver = await startNotifyReceiver((r) => {
      const body = JSON.parse(r.body);
      const problems = r.path === SLACK_PATH ? slackProblems(body) : pagerDutyProblems(r.path, body, ROUTING_KEY);
      return problems.length ? 400 : r.path === SLACK_PATH ? 200 : 202;
    });
    const config = parseConfigText(configYaml(receiver.url), '/etc/rewind', {});
    const { createNotifiers } = await loadAdapters(['notifier']);
    destinations = createNotifiers((env) => config.environments[env])('production');
    const stderr = new PassThrough();
    deliverer = new NotificationDeliverer(ledger, { destinations: () => destinations, policy: () => config.environments.production!.notify!.delivery, stderr });
    sink = new EventFanout('tester', [new NotifyOutboxSink(ledger, () => destinations, { stderr })]);
  });
  afterAll(async () => {
    await receiver?.close();
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds one destination per entry, named without secrets', () => {
    expect(destinations.map((d) => [d.notifier, d.label])).toEqual([
      ['slack', `${receiver.url}/***`],
      ['pagerduty', `${receiver.url} (Events API v2)`],
    ]);
  });

  it('a rollback: a Slack alert and resolution (Block Kit and text), a PagerDuty trigger and resolve under one dedup key, and a change event', async () => {
    await sink.emit({ event: 'deploy_complete', env: 'production', operationId: 'op-41', from: '1.3.2', to: '1.4.0', success: false, error: 'health: unhealthy (HTTP 503)' });
    // The fanout stamps `at` with now: the texts are checked against that time below.
    await sink.emit({ ...ROLLBACK_START, at: undefined });
    await sink.emit({ ...ROLLBACK_DONE, at: undefined });
    await deliverer.deliverDue({ env: 'production' });
    expect(receiver.requests.every((r) => r.status !== null && r.status < 300)).toBe(true);

    const slack = byPath(SLACK_PATH);
    expect(slack.map((m) => m.text.split('\n')[0])).toEqual(['rewind production: deploy_complete 1.3.2 → 1.4.0 FAILED — health: unhealthy (HTTP 503)', '🚨 INCIDENT ALERT', '✅ INCIDENT RESOLVED']);
    const alertAt = Date.parse(slack[1]!.metadata.event_payload.at as string);
    expect(slack[1]!.text).toBe(incidentText({ ...ROLLBACK_START, at: alertAt }));
    expect(slack[1]!.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🚨 INCIDENT ALERT', emoji: true } });
    expect(slack[1]!.blocks[1].text.text).toContain('*Status*: Rollback in progress\n*Incident*: new (its number follows in the resolution)\n*Severity*: High');
    expect(slack[1]!.blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'rewind · production · rollback_start · op-42' }] });
    expect(slack[1]!.metadata).toMatchObject({ event_type: 'rewind_rollback_start', event_payload: { env: 'production', operationId: 'op-42', from: '1.4.0', to: '1.3.2', automatic: true } });
    expect(slack[2]!.text).toContain('**Resolution**: Rolled back production to version 1.3.2\n**Duration**: 1 min 4 s');

    const alerts = byPath('/v2/enqueue');
    expect(alerts.map((a) => [a.event_action, a.dedup_key])).toEqual([
      ['trigger', 'rewind/production/rollback/op-42'],
      ['resolve', 'rewind/production/rollback/op-42'],
    ]);
    expect(alerts[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      // The incident as the event has it at the start: the matrix's severity (its number comes with the end).
      payload: { summary: 'rewind production: rollback_start 1.4.0 → 1.3.2 (health: unhealthy (HTTP 503)) [severity high]', source: 'rewind/production', severity: 'error', component: 'production', custom_details: { operationId: 'op-42', trigger: 'automatic', severity: 'high' } },
    });
    const changes = byPath('/v2/change/enqueue');
    expect(changes.map((c) => c.payload.summary)).toEqual([
      'rewind production: deploy_complete 1.3.2 → 1.4.0 FAILED — health: unhealthy (HTTP 503)',
      'rewind production: rollback_complete 1.4.0 → 1.3.2 succeeded [incident #7, severity high]',
    ]);
    expect(changes[1]!.payload.custom_details).toMatchObject({ incidentId: 7, severity: 'high' });
    expect(await ledger.countNotifications('production')).toEqual({ pending: 0, delivered: 7, dead: 0 });
    // The outbox holds no secret: not the routing key, not the Slack path.
    const stored = JSON.stringify(await ledger.listNotifications({ env: 'production' }));
    for (const secret of configSecretValues(parseConfigText(configYaml(receiver.url), '/etc/rewind', {}))) expect(stored).not.toContain(secret);
    expect(stored).not.toContain(ROUTING_KEY);
    expect(stored).not.toContain('slackSecretPathToken');
  });

  it('a failed rollback resolves nothing: the incident stays open, the change event still goes', async () => {
    const before = receiver.requests.length;
    await sink.emit({ event: 'rollback_complete', env: 'production', operationId: 'op-43', from: '1.4.0', to: '1.3.2', success: false, durationMs: 5000, error: 'smoke failed' });
    await deliverer.deliverDue({ env: 'production' });
    expect(receiver.requests.slice(before).map((r) => r.path)).toEqual([SLACK_PATH, '/v2/change/enqueue']);
  });

  it('the receivers refuse what the services would (so the checks above are not vacuous)', () => {
    const pd = pagerdutyDestination(pagerdutySchema.parse({ routingKey: ROUTING_KEY }));
    const [trigger] = pd.messages({ ...ROLLBACK_START }) as { body: Record<string, any> }[];
    const good = JSON.parse(pd.request(trigger, { key: 'k', now: 0 }).body);
    expect(pagerDutyProblems('/v2/enqueue', good, ROUTING_KEY)).toEqual([]);
    expect(pd.request(trigger, { key: 'k', now: 0 }).url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(pagerDutyProblems('/v2/enqueue', { ...good, payload: { ...good.payload, severity: 'high' } }, ROUTING_KEY)).toEqual(['payload.severity high is not critical, error, warning or info']);
    expect(pagerDutyProblems('/v2/enqueue', { ...good, routing_key: 'other' }, ROUTING_KEY)).toEqual(['routing_key is missing or wrong']);
    expect(pagerDutyProblems('/v2/enqueue', { routing_key: ROUTING_KEY, event_action: 'resolve' }, ROUTING_KEY)).toEqual(['resolve needs a dedup_key']);
    expect(slackProblems({ text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] })).toEqual(['invalid_blocks: header 0 needs plain_text of 1–150 characters']);
    expect(slackProblems({ blocks: [] })).toEqual(['no text fallback', 'invalid_blocks: blocks must be 1–50 blocks']);
  });
});

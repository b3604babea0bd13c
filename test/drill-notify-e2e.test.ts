import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../src/adapters/registry.js';
import { parseConfigText } from '../src/config/load-config.js';
import type { RewindEvent } from '../src/ports/event-sink.js';
import { pagerDutyProblems, slackProblems } from './support/notifier-wire.js';
import { startNotifyReceiver, type NotifyReceiver } from './support/notify-receiver.js';
import { createSandbox, ENV, waitFor, type Sandbox } from './support/sandbox.js';

// A drill is a rehearsal, never an incident (docs/config.md, "Drills and notifications"): real CLI
// (dist/), real PM2 and the sample app, a SQLite ledger's outbox, and one local receiver that speaks
// Slack's, PagerDuty's (Events API v2) and a webhook's wire, refusing (400) a request either service
// would refuse. The drill's events must not page or post an incident text; a real rollback still must.

const SLACK_PATH = '/services/T0AAAAAAA/B0BBBBBBB/drillSlackPathSecret';
const HOOK_PATH = '/hooks/rewind-drill';
const ROUTING_KEY = 'R0DRILL0123456789abcdef012345678';

type Json = Record<string, any>;

const notifyYaml = (url: string, drills = '') => `    notify:
      webhooks:
        - url: ${url}${HOOK_PATH}
      slack:
        - webhookUrl: ${url}${SLACK_PATH}
      pagerduty:
        - routingKey: ${ROUTING_KEY}
          endpoint: ${url}
${drills}`;

describe('a drill pages no one; a real rollback still does (real CLI, PM2, local Slack/PagerDuty/webhook receivers)', () => {
  let sandbox: Sandbox;
  let receiver: NotifyReceiver;
  const bodies = (from: number, path: (p: string) => boolean) => receiver.requests.slice(from).filter((r) => path(r.path)).map((r) => JSON.parse(r.body) as Json);
  /** Every queued message delivered (none pending, none dead): what the receiver got is all there is. */
  const drained = () => waitFor(async () => {
    const counts = await sandbox.ledger.countNotifications(ENV);
    return counts.pending === 0 && counts;
  });

  beforeAll(async () => {
    receiver = await startNotifyReceiver((r) => {
      const body = JSON.parse(r.body);
      const problems = r.path === SLACK_PATH ? slackProblems(body) : r.path === HOOK_PATH ? [] : pagerDutyProblems(r.path, body, ROUTING_KEY);
      return problems.length ? 400 : r.path.startsWith('/v2/') ? 202 : 200;
    });
    sandbox = await createSandbox({ databaseYaml: () => notifyYaml(receiver.url) });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
    await sandbox.release('1.2.0', { fault: { health: 'fail' } });
    const first = await sandbox.cli(['deploy', ENV, '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
    await drained();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  it('a health drill (notify.drills default summary): no PagerDuty trigger or resolve, Slack only [DRILL] lines, webhooks get drill: true', async () => {
    const before = receiver.requests.length;
    const result = await sandbox.cli(['drill', ENV, '--failure', 'health']);
    expect(result.code, result.stderr).toBe(0);
    expect(await drained()).toMatchObject({ pending: 0, dead: 0 });
    expect(receiver.requests.slice(before).every((r) => r.status !== null && r.status < 300)).toBe(true);

    // PagerDuty: change events only (they never page), each marked as a drill.
    expect(bodies(before, (p) => p === '/v2/enqueue')).toEqual([]);
    const changes = bodies(before, (p) => p === '/v2/change/enqueue');
    expect(changes.map((c) => c.payload.custom_details.event)).toEqual(['deploy_complete', 'rollback_start', 'rollback_complete']);
    for (const change of changes) {
      expect(change.payload.summary).toMatch(/^\[DRILL\] rewind staging: /);
      expect(change.payload.custom_details.drill).toBe(true);
    }

    // Slack: one [DRILL] line per event, no INCIDENT ALERT / RESOLVED (no header block either).
    const slack = bodies(before, (p) => p === SLACK_PATH);
    expect(slack.map((s) => s.text)).toEqual([
      expect.stringMatching(/^\[DRILL\] rewind staging: deploy_complete 1\.0\.0 → 1\.0\.0-drill\.1 FAILED — health: /),
      expect.stringMatching(/^\[DRILL\] rewind staging: rollback_start 1\.0\.0-drill\.1 → 1\.0\.0 \(deploy of 1\.0\.0-drill\.1 failed at health: /),
      '[DRILL] rewind staging: rollback_complete 1.0.0-drill.1 → 1.0.0 succeeded',
    ]);
    expect(slack.flatMap((s) => s.blocks.map((b: Json) => b.type))).not.toContain('header');
    expect(JSON.stringify(slack)).not.toContain('INCIDENT');
    expect(slack.map((s) => s.metadata.event_payload.drill)).toEqual([true, true, true]);

    // Webhooks: the event with drill: true, the text starting [DRILL].
    const hooks = bodies(before, (p) => p === HOOK_PATH);
    expect(hooks.map((h) => [h.event.event, h.event.drill, h.text.slice(0, 8)])).toEqual([
      ['deploy_complete', true, '[DRILL] '],
      ['rollback_start', true, '[DRILL] '],
      ['rollback_complete', true, '[DRILL] '],
    ]);

    // The audit log has the mark too, on the drill's deploy and rollback events, and no incident exists.
    const marked = (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).filter((e) => (e.data as Json | null)?.drill === true).map((e) => e.event);
    expect(marked.sort()).toEqual(['deploy_complete', 'deploy_start', 'rollback_complete', 'rollback_start']);
    expect(await sandbox.ledger.listIncidents({ env: ENV })).toEqual([]);
  }, 60_000);

  it('a failed deploy: PagerDuty is triggered and resolved, the incident in its payloads; one that joins the open incident triggers with its number', async () => {
    let before = receiver.requests.length;
    expect((await sandbox.cli(['deploy', ENV, '1.1.0'])).code).toBe(7);
    await drained();
    const [incident] = await sandbox.ledger.listIncidents({ env: ENV });
    expect(incident).toMatchObject({ severity: 'high' });
    let alerts = bodies(before, (p) => p === '/v2/enqueue');
    expect(alerts.map((a) => a.event_action)).toEqual(['trigger', 'resolve']);
    // A new incident is recorded when its rollback ends: the trigger has the severity, the end its number.
    expect(alerts[0]!.payload.summary).toMatch(/^rewind staging: rollback_start 1\.1\.0 → 1\.0\.0 .*\[severity high\]$/);
    expect(alerts[0]!.payload.custom_details).toMatchObject({ event: 'rollback_start', severity: 'high' });
    expect(alerts[0]!.payload.custom_details).not.toHaveProperty('drill');
    const end = bodies(before, (p) => p === '/v2/change/enqueue').find((c) => c.payload.custom_details.event === 'rollback_complete')!;
    expect(end.payload.summary).toBe(`rewind staging: rollback_complete 1.1.0 → 1.0.0 succeeded [incident #${incident!.id}, severity high]`);
    expect(end.payload.custom_details).toMatchObject({ incidentId: incident!.id, severity: 'high' });
    expect(bodies(before, (p) => p === SLACK_PATH).map((s) => s.text.split('\n')[0])).toEqual([expect.stringMatching(/^rewind staging: deploy_complete/), '🚨 INCIDENT ALERT', '✅ INCIDENT RESOLVED']);

    before = receiver.requests.length;
    expect((await sandbox.cli(['deploy', ENV, '1.2.0'])).code).toBe(7);
    await drained();
    alerts = bodies(before, (p) => p === '/v2/enqueue');
    expect(alerts.map((a) => a.event_action)).toEqual(['trigger', 'resolve']);
    expect(alerts[0]!.payload.summary).toMatch(new RegExp(`^rewind staging: rollback_start 1\\.2\\.0 → 1\\.0\\.0 .*\\[incident #${incident!.id}, severity high\\]$`));
    expect(alerts[0]!.payload.custom_details).toMatchObject({ incidentId: incident!.id, severity: 'high' });
  }, 90_000);

  it('notify.drills quiet keeps a drill from PagerDuty altogether, off from every destination; neither silences a real rollback', async () => {
    const drill: RewindEvent = { event: 'rollback_start', env: ENV, operationId: 'op-d', from: '1.0.0-drill.9', to: '1.0.0', drill: true, automatic: true, trigger: 'automatic' };
    const real: RewindEvent = { ...drill, operationId: 'op-r', from: '1.1.0' };
    delete (real as { drill?: true }).drill;
    const { createNotifiers } = await loadAdapters(['notifier']);
    const sent = (mode: string) => {
      const config = parseConfigText(`environments:\n  ${ENV}:\n    target: { type: releases, path: /srv/app, runtime: { type: pm2, name: app } }\n${notifyYaml('http://127.0.0.1:9', `      drills: ${mode}\n`)}`, '/etc/rewind', {});
      const destinations = createNotifiers((env) => config.environments[env])(ENV);
      return (event: RewindEvent) => Object.fromEntries(destinations.map((d) => [d.notifier, d.messages(event).length]));
    };
    expect(sent('summary')(drill)).toEqual({ webhook: 1, slack: 1, pagerduty: 1 });
    expect(sent('quiet')(drill)).toEqual({ webhook: 1, slack: 1, pagerduty: 0 });
    expect(sent('off')(drill)).toEqual({ webhook: 0, slack: 0, pagerduty: 0 });
    expect(sent('off')(real)).toEqual({ webhook: 1, slack: 1, pagerduty: 1 });
    expect(() => sent('loud')).toThrow(expect.objectContaining({ code: 'REWIND_E_CONFIG_INVALID', message: expect.stringContaining('drills') }));
  });
});

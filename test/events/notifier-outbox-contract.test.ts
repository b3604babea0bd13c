import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pagerdutySchema } from '../../src/adapters/notifiers/pagerduty/pagerduty-config.js';
import { pagerdutyDestination } from '../../src/adapters/notifiers/pagerduty/pagerduty-destination.js';
import { slackSchema } from '../../src/adapters/notifiers/slack/slack-config.js';
import { slackDestination } from '../../src/adapters/notifiers/slack/slack-destination.js';
import { webhookSchema } from '../../src/adapters/notifiers/webhook/webhook-config.js';
import { webhookDestination } from '../../src/adapters/notifiers/webhook/webhook-destination.js';
import { DEFAULT_INCIDENT_SETTINGS } from '../../src/events/incident-templates.js';
import { NotificationDeliverer } from '../../src/events/notification-deliverer.js';
import { NotifyOutboxSink } from '../../src/events/notify-outbox-sink.js';
import { openLedger } from '../../src/ledger/open-ledger.js';
import type { NotifierDestination } from '../../src/ports/notifier.js';
import { CONTRACT_EVENTS, eventSinkContract, type DeliveredEvent } from '../contracts/event-sink-contract.js';
import { loadDocsVerifier } from '../support/docs-webhook-verifier.js';
import { pagerDutyProblems, slackProblems } from '../support/notifier-wire.js';
import { startNotifyReceiver, type ReceivedRequest } from '../support/notify-receiver.js';

/**
 * Each notifier as the product runs it: its sink queues into a real SQLite ledger's outbox, a
 * deliverer sends to a local HTTP receiver that refuses (400/401) what the real service would, and
 * the contract reads back what the receiver accepted. `delivered` sends what is due first: the
 * outbox is asynchronous by design.
 */
function outboxRun(options: {
  name: string;
  provider: string;
  destination: (url: string) => NotifierDestination;
  /** The receiver's verdict on a request: undefined to accept it, else the status to refuse it with. */
  check: (request: ReceivedRequest) => number | undefined;
  /** The events a request carries, as the receiver reads them (none for a PagerDuty resolve). */
  events: (request: ReceivedRequest) => DeliveredEvent[];
}): void {
  eventSinkContract({
    name: options.name,
    provider: options.provider,
    capabilities: { record: false },
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rewind-notifier-contract-'));
      const ledger = await openLedger(join(dir, 'ledger.db'));
      const receiver = await startNotifyReceiver((request) => options.check(request) ?? 202);
      const destination = options.destination(receiver.url);
      const stderr = new PassThrough();
      let warnings = '';
      stderr.on('data', (chunk: Buffer) => (warnings += chunk.toString()));
      const deliverer = new NotificationDeliverer(ledger, { destinations: () => [destination], policy: () => ({ maxAttempts: 1, baseMs: 1, maxMs: 1, maxAgeMs: 60_000 }), stderr });
      return {
        sink: new NotifyOutboxSink(ledger, () => [destination], { stderr }),
        delivered: async (env) => {
          await deliverer.deliverDue({ env });
          // The receiver accepted everything: a warning would mean a request was refused or lost.
          if (warnings) throw new Error(`the deliverer warned: ${warnings}`);
          return receiver.requests.filter((r) => r.status !== null && r.status < 300).flatMap(options.events).filter((event) => event.env === env);
        },
        cleanup: async () => {
          await receiver.close();
          await ledger.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
}

const SIGNING = `whsec-${randomBytes(16).toString('hex')}`;
const verify = await loadDocsVerifier();
outboxRun({
  name: 'webhook through the outbox, signed (local receiver running the docs verifier)',
  provider: 'webhook',
  destination: (url) => webhookDestination(webhookSchema.parse({ url: `${url.replace('http://', 'http://hook:hook-password@')}/services/T0/B0/x`, events: [...CONTRACT_EVENTS], signingSecret: SIGNING })),
  check: (r) => (verify(SIGNING, r.headers, r.body) && r.headers.authorization === `Basic ${Buffer.from('hook:hook-password').toString('base64')}` && r.headers['idempotency-key'] ? undefined : 401),
  events: (r) => [(JSON.parse(r.body) as { event: DeliveredEvent }).event],
});

outboxRun({
  name: 'slack through the outbox (local receiver checking Block Kit)',
  provider: 'slack',
  destination: (url) => slackDestination(slackSchema.parse({ webhookUrl: `${url}/services/T000/B000/XXXX`, events: [...CONTRACT_EVENTS] }), DEFAULT_INCIDENT_SETTINGS),
  check: (r) => (r.path === '/services/T000/B000/XXXX' && slackProblems(JSON.parse(r.body)).length === 0 ? undefined : 400),
  events: (r) => {
    const { metadata } = JSON.parse(r.body) as { metadata: { event_payload: DeliveredEvent } };
    return [metadata.event_payload];
  },
});

const ROUTING_KEY = `R0${randomBytes(15).toString('hex')}`;
outboxRun({
  name: 'pagerduty through the outbox (local Events API v2 receiver)',
  provider: 'pagerduty',
  destination: (url) => pagerdutyDestination(pagerdutySchema.parse({ routingKey: ROUTING_KEY, endpoint: url, events: [...CONTRACT_EVENTS] })),
  check: (r) => (pagerDutyProblems(r.path, JSON.parse(r.body), ROUTING_KEY).length === 0 ? undefined : 400),
  // A trigger and a change event carry the event as custom_details; a resolve carries none.
  events: (r) => {
    const body = JSON.parse(r.body) as { event_action?: string; payload?: { custom_details?: DeliveredEvent } };
    return body.payload?.custom_details ? [body.payload.custom_details] : [];
  },
});

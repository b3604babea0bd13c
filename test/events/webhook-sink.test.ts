import { PassThrough } from 'node:stream';
import { WebhookSink } from '../../src/events/webhook-sink.js';
import { CONTRACT_EVENTS, eventSinkContract, type DeliveredEvent } from '../contracts/event-sink-contract.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

// The webhook sink POSTing to a local HTTP server, read back from what the server received.
eventSinkContract({
  name: 'webhook (local HTTP receiver)',
  provider: 'webhook',
  capabilities: { record: false },
  create: async () => {
    const hooks = await startWebhookReceiver<{ text: string; event: DeliveredEvent }>();
    const stderr = new PassThrough();
    let warnings = '';
    stderr.on('data', (chunk: Buffer) => (warnings += chunk.toString()));
    const target = { url: `http://hook:hook-password@127.0.0.1:${hooks.port}/services/T0/B0/x`, events: CONTRACT_EVENTS, headers: {}, timeoutMs: 2000 };
    return {
      sink: new WebhookSink(() => [target], stderr),
      delivered: async (env) => {
        // The receiver answered every POST: a warning would mean one was lost.
        if (warnings) throw new Error(`the webhook sink warned: ${warnings}`);
        return hooks.received.map((body) => body.event).filter((event) => event.env === env);
      },
      cleanup: () => hooks.close(),
    };
  },
});

import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { WebhookSink, type WebhookTarget } from '../../src/events/webhook-sink.js';
import { CONTRACT_EVENTS, eventSinkContract, type DeliveredEvent } from '../contracts/event-sink-contract.js';
import { loadDocsVerifier } from '../support/docs-webhook-verifier.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/** The webhook sink POSTing to a local HTTP server, read back from what the server received; `signed`: with a signingSecret the server verifies. */
function webhookRun(name: string, signed: boolean): void {
  eventSinkContract({
    name,
    provider: 'webhook',
    capabilities: { record: false },
    create: async () => {
      const signingSecret = signed ? `whsec-${randomBytes(16).toString('hex')}` : undefined;
      const verify = signingSecret ? await loadDocsVerifier() : undefined;
      // A request the server refuses (401) is not received, and the sink warns: the contract fails.
      const hooks = await startWebhookReceiver<{ text: string; event: DeliveredEvent }>(verify ? { verify: (headers, raw) => verify(signingSecret!, headers, raw) } : {});
      const stderr = new PassThrough();
      let warnings = '';
      stderr.on('data', (chunk: Buffer) => (warnings += chunk.toString()));
      const target: WebhookTarget = { url: `http://hook:hook-password@127.0.0.1:${hooks.port}/services/T0/B0/x`, events: CONTRACT_EVENTS, headers: {}, timeoutMs: 2000, ...(signingSecret ? { signingSecret } : {}) };
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
}

webhookRun('webhook (local HTTP receiver)', false);
webhookRun('webhook, signed (local HTTP receiver verifying the signature)', true);

import { signatureHeaders, summary } from '../../../events/webhook-sink.js';
import type { NotifierDestination } from '../../../ports/notifier.js';
import { withIsoTimes } from '../../../util/iso-times.js';
import { maskUrlPastHost, splitUrlCredentials } from '../../../util/url-credentials.js';
import { deliveryHeaders, destinationFingerprint } from '../destination-fingerprint.js';
import { WEBHOOK_NOTIFIER_TYPE, type WebhookConfig } from './webhook-config.js';

/**
 * One `notify.webhooks` entry as an outbox destination: `{ text, event }` is stored; the URL (user
 * info as a Basic header), the configured headers and the signature are added when it is sent, the
 * signature over the exact body with the send time (a retry is signed afresh, within the replay
 * window). `deploy_complete` is sent only when the deploy failed.
 */
export function webhookDestination(config: WebhookConfig): NotifierDestination {
  return {
    notifier: WEBHOOK_NOTIFIER_TYPE,
    fingerprint: destinationFingerprint(WEBHOOK_NOTIFIER_TYPE, config.url),
    label: maskUrlPastHost(config.url),
    timeoutMs: config.timeoutMs,
    messages(event) {
      if (!config.events.includes(event.event as never)) return [];
      if (event.event === 'deploy_complete' && event.success !== false) return [];
      const at = typeof event.at === 'number' ? new Date(event.at).toISOString() : new Date().toISOString();
      return [{ text: summary(event), event: withIsoTimes({ ...event, at }) }];
    },
    request(payload, { key, now }) {
      const body = JSON.stringify(payload);
      const { url, authorization } = splitUrlCredentials(config.url);
      const headers: Record<string, string> = { ...deliveryHeaders(key), ...(authorization ? { authorization } : {}) };
      // A header the config sets wins (names compared case-insensitively), except the signature's.
      for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
      if (config.signingSecret) Object.assign(headers, signatureHeaders(config.signingSecret, body, now));
      return { url, headers, body };
    },
  };
}

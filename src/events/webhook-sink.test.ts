import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { freePort } from '../demo/sample-artifacts.js';
import { startWebhookReceiver } from '../../test/support/webhook-receiver.js';
import { WebhookSink } from './webhook-sink.js';

const target = (url: string, headers: Record<string, string> = {}) => ({ url, events: ['rollback_start'], headers, timeoutMs: 2000 });

function stderr(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('WebhookSink', () => {
  it('sends user info from the URL as Basic auth (fetch refuses URLs with credentials), the rest of the URL as it is', async () => {
    const hooks = await startWebhookReceiver();
    try {
      const err = stderr();
      const sink = new WebhookSink(() => [target(`http://hook%20user:p%40ss-w0rd@127.0.0.1:${hooks.port}/services/T0/B0/x?token=q1`)], err.stream);
      await sink.emit({ event: 'rollback_start', env: 'prod', from: '1.1.0', to: '1.0.0' });
      expect(err.text()).toBe('');
      expect(hooks.requests).toHaveLength(1);
      expect(hooks.requests[0]!.url).toBe('/services/T0/B0/x?token=q1');
      expect(hooks.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hook user:p@ss-w0rd').toString('base64')}`);
      // A header the config sets wins over the URL's user info.
      await new WebhookSink(() => [target(`http://u:p@127.0.0.1:${hooks.port}/h`, { Authorization: 'Bearer from-config' })], err.stream).emit({ event: 'rollback_start', env: 'prod' });
      expect(hooks.requests[1]!.headers.authorization).toBe('Bearer from-config');
    } finally {
      await hooks.close();
    }
  });

  it('names a failing webhook by scheme and host only: user info, path and query are its secrets', async () => {
    const port = await freePort();
    const err = stderr();
    await new WebhookSink(() => [target(`http://hookuser:hookpass@127.0.0.1:${port}/services/T0/B0/secretpath?token=secretquery`)], err.stream).emit({ event: 'rollback_start', env: 'prod' });
    expect(err.text()).toMatch(new RegExp(`^warning: webhook http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/\\*\\*\\* failed for rollback_start: `));
    expect(err.text()).not.toMatch(/hookuser|hookpass|secretpath|secretquery|services/);
  });
});

import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { webhookSchema } from '../src/adapters/notifiers/webhook/webhook-config.js';
import { webhookNotifierDefinition } from '../src/adapters/notifiers/webhook/webhook-definition.js';
import { WebhookSink, type WebhookTarget } from '../src/events/webhook-sink.js';
import type { RewindEvent } from '../src/ports/event-sink.js';
import { docsVerifierSource, loadDocsVerifier, type VerifyRewindWebhook } from './support/docs-webhook-verifier.js';
import { createSandbox, ENV, type CliResult, type Sandbox } from './support/sandbox.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

// Issue 17, "Notifications that arrive": a generic webhook signed with HMAC-SHA256 over a timestamp
// and the body. Every check on the receiving side runs the verification function of docs/config.md
// ("Signed webhooks") itself, loaded from the page, so the docs cannot drift from what rewind sends.

const SECRET = `whsec-${randomBytes(16).toString('hex')}`;
const EVENT: RewindEvent = { event: 'rollback_complete', env: 'production', operationId: 'op-1', from: '1.4.0', to: '1.3.2', success: true, durationMs: 1234 };

let verify: VerifyRewindWebhook;
beforeAll(async () => {
  verify = await loadDocsVerifier();
});

/** A sink with one webhook at `receiver`, and what it warned on its stderr. */
function sinkFor(receiver: WebhookReceiver<unknown>, extra: Partial<WebhookTarget> = {}): { sink: WebhookSink; warnings: () => string } {
  const stderr = new PassThrough();
  let warnings = '';
  stderr.on('data', (chunk: Buffer) => (warnings += chunk.toString()));
  const target: WebhookTarget = { url: `http://127.0.0.1:${receiver.port}/hook`, events: ['rollback_complete'], headers: {}, timeoutMs: 2000, ...extra };
  return { sink: new WebhookSink(() => [target], stderr), warnings: () => warnings };
}

describe('the docs snippet', () => {
  it('is a Node module using an HMAC-SHA256, a constant-time comparison and a 5-minute window', () => {
    const source = docsVerifierSource();
    expect(source).toContain("createHmac('sha256', secret)");
    expect(source).toContain('timingSafeEqual(');
    expect(source).toContain('5 * 60');
    expect(verify).toBeTypeOf('function');
  });
});

describe('a signed webhook, checked by a real local receiver running the docs snippet', () => {
  const receivers: WebhookReceiver<unknown>[] = [];
  /** `clock`: the receiver's own time (ms), when it is not this machine's. */
  const receiver = async (verifyWith?: string, clock: () => number = Date.now) => {
    const started = await startWebhookReceiver<unknown>(verifyWith ? { verify: (headers, raw) => verify(verifyWith, headers, raw, clock()) } : {});
    receivers.push(started);
    return started;
  };
  afterEach(async () => {
    vi.useRealTimers();
    for (const r of receivers.splice(0)) await r.close();
  });

  it('carries X-Rewind-Timestamp and X-Rewind-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>, which the receiver accepts', async () => {
    const hooks = await receiver(SECRET);
    const { sink, warnings } = sinkFor(hooks, { signingSecret: SECRET });
    const before = Math.floor(Date.now() / 1000);
    await sink.emit(EVENT);
    const after = Math.floor(Date.now() / 1000);
    expect(warnings()).toBe('');
    expect(hooks.requests).toHaveLength(1);
    const [request] = hooks.requests;
    expect(request!.verified).toBe(true);
    expect(hooks.received).toHaveLength(1);
    const timestamp = request!.headers['x-rewind-timestamp'] as string;
    expect(timestamp).toMatch(/^\d+$/);
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(after);
    // Computed here from the bytes that arrived, independently of the snippet.
    const expected = createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`${timestamp}.`), request!.raw])).digest('hex');
    expect(request!.headers['x-rewind-signature']).toBe(`v1=${expected}`);
    expect(JSON.stringify([request!.headers, request!.raw.toString('utf8')])).not.toContain(SECRET);
  });

  it('fails verification with a tampered body, a wrong secret, a missing header, or a timestamp outside the 5-minute window', async () => {
    const hooks = await receiver();
    const { sink } = sinkFor(hooks, { signingSecret: SECRET, events: ['rollback_complete'] });
    await sink.emit({ ...EVENT, to: '1.3.2-ü' }); // a non-ASCII body: the HMAC is over the UTF-8 bytes sent
    const [{ headers, raw }] = hooks.requests as [(typeof hooks.requests)[number]];
    const sentAt = Number(headers['x-rewind-timestamp']) * 1000;
    expect(verify(SECRET, headers, raw, sentAt)).toBe(true);
    expect(verify(SECRET, headers, raw.toString('utf8'), sentAt)).toBe(true); // a string body is the same bytes

    const tampered = Buffer.from(raw.toString('utf8').replace('"success":true', '"success":false'));
    expect(tampered.equals(raw)).toBe(false);
    expect(verify(SECRET, headers, tampered, sentAt)).toBe(false);
    expect(verify(SECRET, headers, Buffer.concat([raw, Buffer.from(' ')]), sentAt)).toBe(false);
    expect(verify(`${SECRET}x`, headers, raw, sentAt)).toBe(false);
    expect(verify('another-secret-of-16+', headers, raw, sentAt)).toBe(false);
    // A fresh timestamp on a captured request breaks the signature: the timestamp is signed too.
    expect(verify(SECRET, { ...headers, 'x-rewind-timestamp': String(Number(headers['x-rewind-timestamp']) + 60) }, raw, sentAt + 60_000)).toBe(false);
    const { 'x-rewind-signature': _signature, ...unsigned } = headers;
    expect(verify(SECRET, unsigned, raw, sentAt)).toBe(false);
    const { 'x-rewind-timestamp': _timestamp, ...undated } = headers;
    expect(verify(SECRET, undated, raw, sentAt)).toBe(false);

    // The replay window: the same request, unchanged, is accepted for 5 minutes either way and refused after.
    expect(verify(SECRET, headers, raw, sentAt + 299_000)).toBe(true);
    expect(verify(SECRET, headers, raw, sentAt + 301_000)).toBe(false);
    expect(verify(SECRET, headers, raw, sentAt - 299_000)).toBe(true);
    expect(verify(SECRET, headers, raw, sentAt - 301_000)).toBe(false);
  });

  it('a stale request is refused (401) by the receiver\'s replay check', async () => {
    // The receiver's clock is 6 minutes past rewind's: what it gets is a request made 6 minutes ago, a replay.
    const hooks = await receiver(SECRET, () => Date.now() + 6 * 60_000);
    const { sink, warnings } = sinkFor(hooks, { signingSecret: SECRET });
    await sink.emit(EVENT);
    expect(hooks.requests).toHaveLength(1);
    const [request] = hooks.requests;
    expect(request!.verified).toBe(false);
    expect(hooks.received).toEqual([]);
    expect(warnings()).toBe(`warning: webhook http://127.0.0.1:${hooks.port}/*** answered 401 to rollback_complete\n`);
    // The signature itself is good: at the time the request was made, the snippet accepts it.
    expect(verify(SECRET, request!.headers, request!.raw, Number(request!.headers['x-rewind-timestamp']) * 1000)).toBe(true);
  });

  it('a receiver with another secret answers 401; rewind only warns, naming neither secret', async () => {
    const hooks = await receiver(`other-${SECRET}`);
    const { sink, warnings } = sinkFor(hooks, { signingSecret: SECRET });
    await sink.emit(EVENT);
    expect(hooks.requests.map((r) => r.verified)).toEqual([false]);
    expect(warnings()).toBe(`warning: webhook http://127.0.0.1:${hooks.port}/*** answered 401 to rollback_complete\n`);
  });

  it('a configured header cannot replace the signature headers', async () => {
    const hooks = await receiver(SECRET);
    const { sink, warnings } = sinkFor(hooks, { signingSecret: SECRET, headers: { 'X-Rewind-Signature': 'v1=forged', 'x-rewind-timestamp': '1' } });
    await sink.emit(EVENT);
    expect(warnings()).toBe('');
    expect(hooks.requests.map((r) => r.verified)).toEqual([true]);
  });

  it('without signingSecret: no X-Rewind-* header, and the same body and other headers as a signed request', async () => {
    const hooks = await receiver();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-06T10:00:00Z')); // the same `at` in both bodies
    const signed = sinkFor(hooks, { signingSecret: SECRET, headers: { 'x-team': 'ops' } });
    const unsigned = sinkFor(hooks, { headers: { 'x-team': 'ops' } });
    await signed.sink.emit(EVENT);
    await unsigned.sink.emit(EVENT);
    expect(signed.warnings() + unsigned.warnings()).toBe('');
    const [withSecret, without] = hooks.requests as [(typeof hooks.requests)[number], (typeof hooks.requests)[number]];
    // Only the delivery's idempotency key (X-Rewind-Delivery, Idempotency-Key) differs: one per message.
    const delivery = (headers: Record<string, unknown>) => {
      const { 'x-rewind-delivery': key, 'idempotency-key': same, ...rest } = headers;
      expect(key).toMatch(/^[0-9a-f-]{36}$/);
      expect(same).toBe(key);
      return rest;
    };
    expect(Object.keys(delivery(without.headers)).filter((name) => name.startsWith('x-rewind'))).toEqual([]);
    expect(without.raw.equals(withSecret.raw)).toBe(true);
    const { 'x-rewind-timestamp': timestamp, 'x-rewind-signature': _signature, ...rest } = delivery(withSecret.headers);
    expect(timestamp).toBe(String(Date.parse('2026-12-06T10:00:00Z') / 1000));
    expect(delivery(without.headers)).toEqual(rest);
    expect(Object.keys(delivery(without.headers)).sort()).toEqual(['accept', 'accept-encoding', 'accept-language', 'connection', 'content-length', 'content-type', 'host', 'sec-fetch-mode', 'user-agent', 'x-team']);
  });
});

describe('notify.webhooks[].signingSecret in the config', () => {
  it('is optional, at least 16 characters, and a secret of the webhook definition', () => {
    const base = { url: 'https://hooks.example.com/x' };
    expect(webhookSchema.parse(base).signingSecret).toBeUndefined();
    expect(webhookSchema.safeParse({ ...base, signingSecret: 'too-short-secret'.slice(0, 15) }).success).toBe(false);
    const config = webhookSchema.parse({ ...base, signingSecret: SECRET });
    expect(webhookNotifierDefinition.secrets!(config)).toContain(SECRET);
    expect(webhookNotifierDefinition.secrets!(webhookSchema.parse(base))).not.toContain(undefined);
  });
});

// Through the built CLI and real PM2: a deploy that fails and rolls back sends signed webhooks the
// receiver verifies, and the secret (from ${REWIND_WEBHOOK_SECRET}) shows nowhere rewind writes.
describe('signed webhooks from a real deploy and its automatic rollback', () => {
  const VAR = 'REWIND_WEBHOOK_SECRET';
  const secret = `rwsecret-signing-${randomBytes(12).toString('hex')}`;
  let sandbox: Sandbox;
  let hooks: WebhookReceiver<{ text: string; event: { event: string } }>;
  const previous = process.env[VAR];

  beforeAll(async () => {
    process.env[VAR] = secret; // the sandbox loads the config in this process too
    hooks = await startWebhookReceiver({ verify: (headers, raw) => verify(secret, headers, raw) });
    sandbox = await createSandbox({ databaseYaml: () => `    notify:\n      webhooks:\n        - url: http://127.0.0.1:${hooks.port}/hook\n          signingSecret: \${${VAR}}` });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => {
    await sandbox?.close();
    await hooks?.close();
    if (previous === undefined) delete process.env[VAR];
    else process.env[VAR] = previous;
  });

  it('every POST verifies, and the secret is in no output, ledger or log', async () => {
    const runs: CliResult[] = [];
    const cli = async (args: string[]) => {
      const result = await sandbox.cli(args, { env: { [VAR]: secret }, timeoutMs: 90_000 });
      runs.push(result);
      return result;
    };
    expect((await cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    expect((await cli(['deploy', ENV, '1.1.0', '--dry-run', '--json'])).code).toBe(0);
    expect((await cli(['config', 'check'])).code).toBe(0);
    const failed = await cli(['deploy', ENV, '1.1.0']);
    expect(failed.code).toBe(7);
    expect(failed.stderr).not.toContain('warning: webhook');
    expect(hooks.requests.map((r) => r.verified)).toEqual([true, true, true]);
    expect(hooks.received.map((r) => r.event.event)).toEqual(['deploy_complete', 'rollback_start', 'rollback_complete']);
    expect((await cli(['history', ENV, '--json'])).code).toBe(0);

    const haystacks: Record<string, string> = {};
    runs.forEach((run, index) => {
      haystacks[`#${index} stdout`] = run.stdout;
      haystacks[`#${index} stderr`] = run.stderr;
    });
    for (const file of [sandbox.config.ledger, `${sandbox.config.ledger}-wal`, sandbox.config.log.file]) {
      if (existsSync(file)) haystacks[file] = readFileSync(file).toString('latin1');
    }
    haystacks['webhook requests'] = JSON.stringify(hooks.requests.map((r) => [r.url, r.headers, r.raw.toString('utf8')]));
    expect(haystacks[sandbox.config.log.file]).toContain('rollback_complete'); // the log was written, and is searched
    expect(Object.entries(haystacks).filter(([, text]) => text.includes(secret)).map(([where]) => where)).toEqual([]);
  }, 240_000);
});

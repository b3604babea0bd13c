import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/demo/sample-artifacts.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// Seed 000 "Slack / webhook notification on rollback events", through the built CLI and real PM2.
describe('webhook notifications', () => {
  let sandbox: Sandbox;
  let hooks: WebhookReceiver<{ text: string; event: { event: string; success?: boolean; from?: string; to?: string } }>;
  let received: { text: string; event: { event: string; success?: boolean; from?: string; to?: string } }[] = [];
  let dead = 0;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
    received = hooks.received;
    const port = hooks.port;
    dead = await freePort();
    sandbox = await createSandbox({
      databaseYaml: () => `    notify:\n      webhooks:\n        - url: http://127.0.0.1:${port}/hook\n          headers: { authorization: "Bearer hook-secret-token" }\n        - url: http://127.0.0.1:${dead}/down\n          timeoutMs: 500`,
    });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => {
    await sandbox?.close();
    await hooks?.close();
  });

  it('announces the automatic rollback of a failed deploy; a dead webhook only warns', async () => {
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    expect(received).toEqual([]); // a successful deploy is not news
    const failed = await sandbox.cli(['deploy', ENV, '1.1.0']);
    expect(failed.code).toBe(7);
    expect(failed.stderr).toContain(`warning: webhook http://127.0.0.1:${dead}/*** failed for rollback_start`); // the path of a webhook URL is its token
    expect(received.map((r) => r.event.event)).toEqual(['deploy_complete', 'rollback_start', 'rollback_complete']);
    expect(received[0]!.text).toMatch(/^rewind staging: deploy_complete 1\.0\.0 → 1\.1\.0 FAILED — health: unhealthy/);
    expect(received[2]).toMatchObject({ text: 'rewind staging: rollback_complete 1.1.0 → 1.0.0 succeeded', event: { success: true, from: '1.1.0', to: '1.0.0' } });
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
  });
});

// Issue 12 item 9: a webhook host that accepts the connection, reads the POST and never answers must
// not hold an operation, least of all an automatic rollback (the outbox sends in the background).
describe('a webhook host that never answers', () => {
  let sandbox: Sandbox;
  let hung: WebhookReceiver<{ text: string; event: { event: string } }>;

  beforeAll(async () => {
    hung = await startWebhookReceiver({ silent: true });
    sandbox = await createSandbox({ databaseYaml: () => `    notify:\n      webhooks:\n        - url: http://127.0.0.1:${hung.port}/hung\n          timeoutMs: 300` });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => {
    await sandbox?.close();
    await hung?.close();
  });

  it('gets each POST but does not hold the automatic rollback: it completes and the CLI exits 7 by itself', async () => {
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    // The outer bound is generous; a CLI still running then is killed, which the signal would show.
    const failed = await sandbox.cli(['deploy', ENV, '1.1.0'], { timeoutMs: 90_000 });
    expect(failed.signal).toBeNull();
    expect(failed.code).toBe(7);
    expect(failed.stderr).toContain('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(failed.stderr).toContain(`warning: webhook http://127.0.0.1:${hung.port}/*** failed for rollback_start`);
    // At least once: each event arrives, retried under the one idempotency key it was queued with
    // (the receiver never answers, so the outbox keeps trying; ordering across retries is not kept).
    const byKey = new Map(hung.requests.map((r) => [r.headers['idempotency-key'], (JSON.parse(r.raw.toString('utf8')) as { event: { event: string } }).event.event]));
    expect([...byKey.values()].sort()).toEqual(['deploy_complete', 'rollback_complete', 'rollback_start']);
    const counts = await sandbox.ledger.countNotifications(ENV);
    expect(counts.delivered).toBe(0);
    expect(counts.pending + counts.dead).toBe(3);
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });
    const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'succeeded' });
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();
  }, 150_000);
});

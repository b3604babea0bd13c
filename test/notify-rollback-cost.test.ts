import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';
import { startNotifyReceiver, type NotifyReceiver } from './support/notify-receiver.js';

// "A receiver that hangs or answers 500 costs the rollback nothing", measured: the same manual
// rollback under real PM2, once with a webhook, Slack and PagerDuty whose receivers never answer or
// answer 500 (each attempt bounded at 5 s, so posting inline would cost at least 10 s), once with
// no notifier at all. The rollback operation's own duration (the ledger's startedAt → finishedAt)
// must not differ by more than scheduling noise.

describe('a hanging or failing receiver costs a rollback nothing', () => {
  let sandbox: Sandbox;
  let hung: NotifyReceiver;
  let failing: NotifyReceiver;
  let notifyYaml = '';

  beforeAll(async () => {
    hung = await startNotifyReceiver(() => 'hang');
    failing = await startNotifyReceiver(() => 500);
    notifyYaml = `    notify:
      webhooks:
        - url: ${hung.url}/hook
          timeoutMs: 5000
      slack:
        - webhookUrl: ${hung.url}/services/T0/B0/x
          timeoutMs: 5000
      pagerduty:
        - routingKey: R0123456789abcdef0123456789abcd
          endpoint: ${failing.url}
          timeoutMs: 5000
      delivery: { drainMs: 1000, baseMs: 200, maxMs: 400 }`;
    sandbox = await createSandbox({ databaseYaml: () => notifyYaml });
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await sandbox.release(version);
  });
  afterAll(async () => {
    await sandbox?.close();
    await hung?.close();
    await failing?.close();
  });

  /** Deploys `version` and rolls it back; the rollback operation's duration and the CLI's wall time. */
  async function deployThenRollback(version: string): Promise<{ operationMs: number; wallMs: number }> {
    expect((await sandbox.cli(['deploy', ENV, version])).code).toBe(0);
    const started = performance.now();
    const result = await sandbox.cli(['rollback', ENV, '--yes', '--reason', 'measured'], { timeoutMs: 90_000 });
    const wallMs = performance.now() - started;
    expect(result.code, result.stderr).toBe(0);
    const [rollback] = await sandbox.ledger.listOperations(ENV, { limit: 1 });
    expect(rollback).toMatchObject({ kind: 'rollback', state: 'succeeded', toVersion: '1.0.0' });
    return { operationMs: rollback!.finishedAt! - rollback!.startedAt, wallMs };
  }

  it('the rollback takes as long with hanging and failing receivers as with none, and every notification is still queued', async () => {
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    const withReceivers = await deployThenRollback('1.1.0');
    // The receivers were tried (the hung ones got the POSTs and never answered; PagerDuty answered 500).
    expect(hung.requests.length).toBeGreaterThanOrEqual(2);
    expect(failing.requests.some((r) => r.path === '/v2/enqueue' && r.status === 500)).toBe(true);
    const counts = await sandbox.ledger.countNotifications(ENV);
    expect(counts.delivered).toBe(0);
    expect(counts.pending + counts.dead).toBeGreaterThanOrEqual(4); // webhook ×2, slack ×2, pagerduty trigger, resolve, change

    writeFileSync(sandbox.configPath, readFileSync(sandbox.configPath, 'utf8').replace(notifyYaml, ''));
    const without = await deployThenRollback('1.2.0');

    console.log(`rollback with hanging/500 receivers: ${withReceivers.operationMs} ms (CLI ${Math.round(withReceivers.wallMs)} ms); without notifiers: ${without.operationMs} ms (CLI ${Math.round(without.wallMs)} ms)`);
    // Inline posting would have added at least 2 × 5 s (rollback_start and rollback_complete to the
    // hung receivers); the margin is for a loaded machine (measured alone: ~80 ms apart).
    expect(withReceivers.operationMs).toBeLessThan(without.operationMs + 3000);
    // The CLI waits at most drainMs (1 s) after the rollback for deliveries still in flight.
    expect(withReceivers.wallMs).toBeLessThan(without.wallMs + 1000 + 5000);
  }, 180_000);
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import type { Ledger } from '../src/ports/ledger.js';
import { startNotifyReceiver, type NotifyReceiver } from './support/notify-receiver.js';

// `rewind notify status|retry` through the built CLI, on a SQLite ledger whose outbox the test
// fills through the Ledger port, and a local Slack-style receiver.

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const SLACK_TOKEN = 'xoxb-path-secret-0123456789';

describe('rewind notify', () => {
  let dir: string;
  let configPath: string;
  let ledger: Ledger;
  let receiver: NotifyReceiver;
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args, '--config', configPath], { env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-notify-cli-'));
    receiver = await startNotifyReceiver(() => 500);
    configPath = join(dir, 'rewind.yaml');
    writeFileSync(
      configPath,
      `ledger: ${join(dir, 'ledger.db')}
log: { file: ${join(dir, 'events.log')} }
environments:
  production:
    target: { type: releases, path: ${join(dir, 'srv')}, runtime: { type: pm2, name: notify-cli-app, pm2Home: ${join(dir, 'pm2')} } }
    notify:
      slack:
        - webhookUrl: ${receiver.url}/services/${SLACK_TOKEN}
      delivery: { maxAttempts: 1 }
  staging:
    target: { type: releases, path: ${join(dir, 'srv2')}, runtime: { type: pm2, name: notify-cli-app2, pm2Home: ${join(dir, 'pm2')} } }
`,
    );
    ledger = await openLedger(join(dir, 'ledger.db'));
  });
  afterAll(async () => {
    await receiver?.close();
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status: counts, and each dead one with its destination (no secret) and last error; --json the same', async () => {
    // A message the receiver refused: what a command left behind.
    const { loadAdapters } = await import('../src/adapters/registry.js');
    const { parseConfigText } = await import('../src/config/load-config.js');
    const { readFileSync } = await import('node:fs');
    const config = parseConfigText(readFileSync(configPath, 'utf8'), dir, {});
    const [slack] = (await loadAdapters(['notifier'])).createNotifiers((env) => config.environments[env])('production');
    const now = Date.now();
    await ledger.enqueueNotifications([
      { key: 'k-dead', env: 'production', notifier: 'slack', destination: slack!.fingerprint, label: slack!.label, event: 'rollback_start', operationId: 'op-1', payload: slack!.messages({ event: 'rollback_start', env: 'production', operationId: 'op-1', from: '1.1.0', to: '1.0.0', automatic: true, trigger: 'automatic', at: now })[0], now },
      { key: 'k-later', env: 'production', notifier: 'slack', destination: slack!.fingerprint, label: slack!.label, event: 'watch_paused', operationId: 'op-2', payload: { text: 'x', blocks: [] }, now: now + 3_600_000 },
    ]);
    const [claimed] = await ledger.claimNotifications({ owner: 'test', now, leaseMs: 1000, limit: 1, env: 'production' });
    await ledger.finishNotification(claimed!.id, 'test', { state: 'dead', error: 'answered 500', now });

    const text = await run('notify', 'status');
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe('notifications: 1 pending, 0 delivered, 1 dead');
    expect(lines[1]).toBe('dead (rewind notify retry sends them again):');
    expect(lines[2]).toBe(`  #${claimed!.id} production rollback_start → slack ${receiver.url}/*** (1 attempt): answered 500`);
    expect(lines[3]).toBe('pending:');
    expect(text.stdout).not.toContain(SLACK_TOKEN);

    const json = await run('notify', 'status', 'production', '--json');
    const parsed = JSON.parse(json.stdout) as { env: string; counts: Record<string, number>; dead: Record<string, unknown>[]; pending: unknown[] };
    expect(parsed).toMatchObject({ env: 'production', counts: { pending: 1, delivered: 0, dead: 1 }, pending: [expect.objectContaining({ key: 'k-later' })] });
    expect(parsed.dead).toEqual([expect.objectContaining({ id: claimed!.id, notifier: 'slack', destination: `${receiver.url}/***`, event: 'rollback_start', attempts: 1, lastError: 'answered 500', key: 'k-dead' })]);
    expect(json.stdout).not.toContain(SLACK_TOKEN);
    expect(JSON.parse((await run('notify', 'status', 'staging', '--json')).stdout).counts).toEqual({ pending: 0, delivered: 0, dead: 0 });
  });

  it('retry --dry-run changes nothing; retry requeues the dead, sends them now, and audits it', async () => {
    const before = await ledger.listNotifications({ env: 'production' });
    const dry = await run('notify', 'retry', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would requeue 1 dead notification\(s\)\n  #\d+ production rollback_start → slack /);
    expect(await ledger.listNotifications({ env: 'production' })).toEqual(before);
    expect(receiver.requests).toHaveLength(0);

    receiver.answer = () => 200;
    const retried = await run('notify', 'retry', 'production');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.trim()).toBe('requeued 1 dead notification(s); sent now: 1 delivered, 0 to retry, 0 dead');
    expect(receiver.requests.map((r) => [r.path, r.headers['idempotency-key'], (JSON.parse(r.body) as { text: string }).text.split('\n')[0]])).toEqual([
      [`/services/${SLACK_TOKEN}`, 'k-dead', '🚨 INCIDENT ALERT'],
    ]);
    expect(await ledger.countNotifications('production')).toEqual({ pending: 1, delivered: 1, dead: 0 });
    const [audit] = (await ledger.listEvents('production')).filter((e) => e.event === 'notify_retry');
    expect(audit).toMatchObject({ event: 'notify_retry', data: { ids: [before.find((r) => r.key === 'k-dead')!.id], requeued: 1 } });
    // Nothing dead any more: a second retry requeues nothing and audits nothing.
    expect((await run('notify', 'retry', 'production')).stdout.trim()).toBe('requeued 0 dead notification(s); sent now: 0 delivered, 0 to retry, 0 dead');
    expect((await ledger.listEvents('production')).filter((e) => e.event === 'notify_retry')).toHaveLength(1);
  });

  it('the next command that runs operations sends what a process that died left claimed, once its lease is over', async () => {
    receiver.answer = () => 200;
    const before = receiver.requests.length;
    const [slackRow] = await ledger.listNotifications({ env: 'production', states: ['delivered'] });
    const now = Date.now();
    await ledger.enqueueNotifications([{ key: 'k-orphan', env: 'production', notifier: 'slack', destination: slackRow!.destination, label: slackRow!.label, event: 'rollback_complete', operationId: 'op-3', payload: slackRow!.payload, now }]);
    // What a SIGKILLed rewind leaves: its claim, and no outcome.
    await ledger.claimNotifications({ owner: 'otherhost:4242:dead', now, leaseMs: 200, limit: 10, env: 'production' });
    await new Promise((r) => setTimeout(r, 250));
    const unlock = await run('unlock', 'production', '--force', '--reason', 'notify test');
    expect(unlock.code, unlock.stderr).toBe(0);
    const sent = receiver.requests.slice(before);
    // The orphan, and the lock_forced event of the unlock itself.
    expect(sent.map((r) => r.headers['idempotency-key'])).toContain('k-orphan');
    expect(sent.map((r) => JSON.parse(r.body).metadata.event_type).sort()).toEqual(['rewind_lock_forced', 'rewind_rollback_start']);
    expect((await ledger.listNotifications({ env: 'production' })).find((r) => r.key === 'k-orphan')).toMatchObject({ state: 'delivered', attempts: 2, claimedBy: null });
  });

  it('a message given up on is audited as notify_dead, with its destination masked and its last error', async () => {
    receiver.answer = () => 503;
    const [slackRow] = await ledger.listNotifications({ env: 'production', states: ['delivered'] });
    await ledger.enqueueNotifications([{ key: 'k-doomed', env: 'production', notifier: 'slack', destination: slackRow!.destination, label: slackRow!.label, event: 'deploy_complete', operationId: 'op-4', payload: slackRow!.payload, now: Date.now() }]);
    const result = await run('notify', 'retry', 'production');
    expect(result.stdout.trim()).toBe('requeued 0 dead notification(s); sent now: 0 delivered, 0 to retry, 1 dead');
    expect(result.stderr).toContain(`warning: slack ${receiver.url}/*** failed for deploy_complete: answered 503 (attempt 1; dead after 1 attempt(s))`);
    const [audit] = (await ledger.listEvents('production')).filter((e) => e.event === 'notify_dead');
    const row = (await ledger.listNotifications({ env: 'production' })).find((r) => r.key === 'k-doomed')!;
    expect(audit).toMatchObject({ operationId: 'op-4', data: { id: row.id, notifier: 'slack', destination: `${receiver.url}/***`, about: 'deploy_complete', attempts: 1, error: 'answered 503' } });
    expect(JSON.stringify(audit)).not.toContain(SLACK_TOKEN);
  });

  it('bad input: an unknown environment or subcommand, --dry-run on status: coded errors, nothing changed', async () => {
    const before = JSON.stringify(await ledger.listNotifications());
    const unknownEnv = await run('notify', 'status', 'prod');
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toContain('REWIND_E_UNKNOWN_ENV');
    const unknownSub = await run('notify', 'statsu');
    expect(unknownSub.code).toBe(2);
    expect(unknownSub.stderr).toContain('unknown subcommand notify "statsu"; did you mean status?');
    const dryStatus = await run('notify', 'status', '--dry-run');
    expect(dryStatus.code).toBe(2);
    expect(dryStatus.stderr).toContain('--dry-run goes with notify retry');
    expect(JSON.stringify(await ledger.listNotifications())).toBe(before);
    const help = await run('notify', '--help');
    expect(help.stdout.startsWith('rewind notify status [<env>] [--json]\n')).toBe(true);
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../src/core/operations/deploy.js';
import type { EventFanout } from '../src/events/event-sinks.js';
import { loadAdapters } from '../src/adapters/registry.js';
import { DEFAULT_DELIVERY } from '../src/adapters/notifiers/notify-config.js';
import { NotificationDeliverer } from '../src/events/notification-deliverer.js';
import { NotifyOutboxSink } from '../src/events/notify-outbox-sink.js';
import type { RewindEvent } from '../src/ports/event-sink.js';
import { freePort } from '../src/demo/sample-artifacts.js';
import { startPrometheus, type PrometheusServer } from './support/prometheus-server.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

/*
 * Issue: "A Prometheus outage during the window gives `error`, pauses, and notifies, without
 * rolling back." With real parts: a real Prometheus scraping the sample app under real PM2 every
 * second, the watch measuring through it, and a local webhook receiver. The test kills Prometheus
 * (SIGKILL, by PID) as soon as the second measurement of 1.1.0's window has succeeded; the next
 * five measurements are errors (consecutiveErrorLimit 4), which must pause, not roll back.
 */

const INTERVAL_MS = 500;
const SUCCEEDED_BEFORE_OUTAGE = 2;
// Rates over 10 s: with a 1 s scrape there are always enough points, and the interval is shorter.
const ERROR_RATE = '(sum(rate(http_requests_total{status=~"5.."}[10s])) or vector(0)) / sum(rate(http_requests_total[10s]))';
const P95_MS = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[10s]))) * 1000';

interface Measured {
  seq: number;
  metric: string;
  value: number | null;
  outcome: string;
  sourceError?: string;
}

describe('a real Prometheus outage during the watch window', () => {
  let sandbox: Sandbox;
  let prometheus: PrometheusServer;
  let hooks: WebhookReceiver<{ text: string; event: RewindEvent }>;
  let received: { text: string; event: RewindEvent }[] = [];
  let deliverer: NotificationDeliverer;
  let killedAtSeq: number | undefined;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
    received = hooks.received;
    const hookPort = hooks.port;
    // The config names Prometheus before it runs: it needs the app's port, which the sandbox picks.
    const promPort = await freePort();
    sandbox = await createSandbox({
      // Holds the first health probe until Prometheus has scraped the new process a few times, so
      // the first measurement has data (no data is inconclusive, and inconclusiveLimit is 0).
      readinessDelayMs: 3000,
      databaseYaml: () => `    watch:
      windowMs: 4000
      intervalMs: ${INTERVAL_MS}
      source:
        type: prometheus
        url: http://127.0.0.1:${promPort}
        timeoutMs: 400
        queries:
          error_rate: '${ERROR_RATE}'
          latency_p95_ms: '${P95_MS}'
    notify:
      webhooks:
        - url: http://127.0.0.1:${hookPort}/hook
          timeoutMs: 2000`,
    });
    prometheus = await startPrometheus(join(sandbox.root, 'prometheus'), [`127.0.0.1:${sandbox.port}`], promPort);
    // Notifications as the CLI wires them, and the outage: killed from inside the event stream, so
    // the next measurement is sure to meet a dead server.
    const sink = sandbox.services.sink as EventFanout;
    const destinations = (await loadAdapters(['notifier'])).createNotifiers((env) => sandbox.config.environments[env]);
    deliverer = new NotificationDeliverer(sandbox.ledger, { destinations, policy: () => DEFAULT_DELIVERY });
    sink.add(new NotifyOutboxSink(sandbox.ledger, destinations, { enqueued: () => deliverer.kick() }));
    sink.add({
      async emit(event: RewindEvent) {
        const readings = event.readings as { outcome?: string }[] | undefined;
        if (event.event !== 'watch_measurement' || event.version !== '1.1.0' || killedAtSeq !== undefined) return;
        if (event.seq === SUCCEEDED_BEFORE_OUTAGE && readings?.every((r) => r.outcome === 'succeeded')) {
          killedAtSeq = event.seq as number;
          await prometheus.stop('SIGKILL');
        }
      },
    });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0');
  }, 60_000);

  afterAll(async () => {
    await deliverer?.stop(0);
    await prometheus?.stop('SIGKILL');
    await sandbox?.close();
    await hooks?.close();
  });

  it('measures succeeded then error, pauses and notifies; no rollback, and the release stays live, not good', async () => {
    // 1.0.0 passes a whole window through the live Prometheus: the last known good to roll back to,
    // so "no rollback" below is a decision, not a lack of choice.
    const first = await deploy(sandbox.services, ENV, '1.0.0');
    expect(first.error?.message, prometheus.log()).toBeUndefined();
    expect((await sandbox.ledger.getRelease(ENV, '1.0.0'))?.state).toBe('good');

    const second = await deploy(sandbox.services, ENV, '1.1.0');
    expect(killedAtSeq, 'Prometheus was killed after the first measurements succeeded').toBe(SUCCEEDED_BEFORE_OUTAGE);
    expect(second.error?.code).toBe('REWIND_E_WATCH_PAUSED');
    expect(second.error?.message).toContain('1.1.0 is live but not marked good');

    const steps = await sandbox.ledger.listSteps(second.operation!.id);
    const watch = steps.find((s) => s.stepId === 'watch')!;
    expect(watch.state).toBe('inconclusive');
    const detail = watch.detail as { code: string; measurements: Measured[]; reasons: string[] };
    expect(detail.code).toBe('REWIND_E_WATCH_PAUSED');
    // Both metrics were judged: 1.0.0's p95 was recorded as the baseline in preflight.
    expect(steps.find((s) => s.stepId === 'baseline-metrics')?.detail).toMatchObject({ baseline: { latency_p95_ms: expect.any(Number) } });
    const errorRates = detail.measurements.filter((m) => m.metric === 'error_rate');
    const before = errorRates.filter((m) => m.seq <= SUCCEEDED_BEFORE_OUTAGE);
    const after = errorRates.filter((m) => m.seq > SUCCEEDED_BEFORE_OUTAGE);
    expect(before.map((m) => [m.seq, m.outcome, m.value])).toEqual([
      [1, 'succeeded', 0],
      [2, 'succeeded', 0],
    ]);
    // consecutiveErrorLimit 4: the fifth error in a row pauses the run, and nothing after it is measured.
    expect(after.map((m) => [m.seq, m.outcome, m.value])).toEqual([3, 4, 5, 6, 7].map((seq) => [seq, 'error', null]));
    for (const m of after) expect(m.sourceError).toContain(`127.0.0.1:${new URL(prometheus.url).port}`);
    for (const m of detail.measurements.filter((x) => x.metric === 'latency_p95_ms' && x.seq <= SUCCEEDED_BEFORE_OUTAGE)) expect(m.outcome).toBe('succeeded');
    expect(detail.reasons.join('; ')).toMatch(/consecutive error/);

    // No rollback: no operation, no event, and 1.1.0 still serves, live but not good.
    expect((await sandbox.ledger.listOperations(ENV)).map((op) => op.kind)).toEqual(['deploy', 'deploy']);
    const events = (await sandbox.ledger.listEvents(ENV, { operationIds: [second.operation!.id] })).map((e) => e.event);
    expect(events).toContain('watch_paused');
    expect(events).not.toContain('rollback_start');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.1.0' });
    expect((await sandbox.ledger.getRelease(ENV, '1.1.0'))?.state).toBe('live');
    expect((await sandbox.ledger.getEnvironment(ENV))?.currentVersion).toBe('1.1.0');
    expect(await sandbox.ledger.getLock(ENV)).toBeUndefined();

    // A human is told: the webhook got watch_paused for 1.1.0 with the reason, and no rollback news
    // (sent from the outbox in the background: what a command gives it before it exits, here).
    await deliverer.stop(5000);
    const paused = received.filter((r) => r.event.event === 'watch_paused');
    expect(paused).toHaveLength(1);
    expect(paused[0]!.event).toMatchObject({ env: ENV, version: '1.1.0', operationId: second.operation!.id });
    expect(paused[0]!.text).toMatch(/^rewind staging: watch_paused/);
    expect(received.map((r) => r.event.event)).not.toContain('rollback_start');
  }, 60_000);
});

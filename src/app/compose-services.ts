import type { EnvironmentConfig, RewindConfig } from '../config/config-schema.js';
import type { Services, Interruption } from '../core/services.js';
import type { EventFanout } from '../events/event-sinks.js';
import type { EventSink } from '../ports/event-sink.js';
import type { NotifierDestination } from '../ports/notifier.js';
import type { Executor, StreamingExecutor } from '../ports/executor.js';
import { ownValue } from '../util/own-property.js';
import type { AppContext } from './open-context.js';

// The one composition root: the only place that wires sinks, the executor, secrets and the adapter
// registries into Services. The CLI, the demo, the benchmarks and the test sandboxes all call it.
// Every adapter is imported lazily, so commands that never run an operation (and `rewind status`)
// do not pay to load them.

export interface ComposeOptions {
  /**
   * Sinks after the ledger's audit trail, the event log and the notify outbox, in order: the CLI's view of
   * stdout (human or JSON lines; the CLI chooses), a test's MemorySink.
   */
  sinks?: EventSink[];
  /** Where notification delivery problems are reported (default: the process's stderr). */
  stderr?: NodeJS.WritableStream;
  /** Notify the webhooks, Slack channels and PagerDuty services environments configure, through the outbox (default true); a test that adds its own turns this off. */
  webhooks?: boolean;
  /** Append events to the JSON-lines log at `log.file` (default true). */
  eventLog?: boolean;
  /** The process's signal watch, when an operation may be interrupted (the CLI's). */
  interruption?: Interruption;
}

/** The one executor: commands' secret references become values, read from this config as each command starts. */
async function configExecutor(config: RewindConfig): Promise<StreamingExecutor> {
  const [{ ProcessExecutor }, { ConfigSecrets }] = await Promise.all([import('../exec/process-executor.js'), import('../config/config-secrets.js')]);
  return new ProcessExecutor(new ConfigSecrets(config));
}

/** The target and the traffic router of an environment, nothing else loaded: what `status` reads slots with. */
export async function composeSlotReaders(config: RewindConfig, executor?: Executor): Promise<Pick<Services, 'createTarget' | 'createTrafficRouter'>> {
  const [{ loadAdapters }, shared] = await Promise.all([import('../adapters/registry.js'), executor ?? configExecutor(config)]);
  // Only what this config's environments name: an SDK no environment uses is never imported.
  const { createTarget, createTrafficRouter } = await loadAdapters(['target', 'runtime', 'router'], Object.values(config.environments));
  return {
    createTarget: (_env, envConfig) => createTarget(envConfig, shared),
    createTrafficRouter: (_env, envConfig) => createTrafficRouter(envConfig, shared),
  };
}

/** The health check and the metric sources the config's environments name: what `advise` gathers live signals with. */
export async function composeSignalReaders(config: RewindConfig): Promise<Pick<Services, 'checkHealth' | 'createMetricSource'>> {
  const [{ checkHealth }, { loadAdapters }] = await Promise.all([import('../adapters/checks/http-health-check.js'), import('../adapters/registry.js')]);
  const { createMetricSource } = await loadAdapters(['metric-source'], Object.values(config.environments));
  return { checkHealth, createMetricSource };
}

/** Whether an environment names any notifier destination (`notify.webhooks`, `slack`, `pagerduty`). */
function hasNotifiers(environment: RewindConfig['environments'][string]): boolean {
  return Object.values(environment.notify ?? {}).some((entries) => Array.isArray(entries) && entries.length > 0);
}

/**
 * Notifiers go through the ledger's outbox: the sink queues (one insert in the operation's path), a
 * deliverer sends in the background, starting with what earlier commands left (crash-safe resend),
 * and the context's close gives it `notify.delivery.drainMs` after the command's work is done before
 * the ledger closes; what is still unsent then goes with the next command.
 */
async function addNotifyOutbox(context: AppContext, sink: EventFanout, destinations: (env: string) => readonly NotifierDestination[], stderr: NodeJS.WritableStream): Promise<void> {
  const [{ NotifyOutboxSink }, { NotificationDeliverer, leaseFor, deadEvent }, { DEFAULT_DELIVERY }, { EventFanout, LedgerAuditSink }] = await Promise.all([
    import('../events/notify-outbox-sink.js'),
    import('../events/notification-deliverer.js'),
    import('../adapters/notifiers/notify-config.js'),
    import('../events/event-sinks.js'),
  ]);
  const { config, ledger, actor } = context;
  const audit = new EventFanout(actor, [new LedgerAuditSink(ledger, actor)]);
  const delivery = (env: string) => ownValue(config.environments, env)?.notify?.delivery ?? DEFAULT_DELIVERY;
  const deliverer = new NotificationDeliverer(ledger, {
    destinations,
    policy: delivery,
    stderr,
    leaseMs: leaseFor(Object.keys(config.environments).flatMap(destinations)),
    // Straight to the audit table: through the fanout, notify_dead would be queued for the notifiers too.
    onDead: (row, error) => audit.emit(deadEvent(row, error)),
  });
  sink.add(new NotifyOutboxSink(ledger, destinations, { stderr, enqueued: () => deliverer.kick() }));
  deliverer.kick();
  const drainMs = Math.max(0, ...Object.keys(config.environments).map((env) => delivery(env).drainMs));
  const close = context.close;
  context.close = async () => {
    await deliverer.stop(drainMs);
    await close();
  };
}

/** Everything an operation needs, wired once from an open context. */
export async function composeServices(context: AppContext, options: ComposeOptions = {}): Promise<Services> {
  const { config, ledger, actor } = context;
  const executing = configExecutor(config);
  const notifies = (options.webhooks ?? true) && Object.values(config.environments).some(hasNotifiers);
  const [{ EventFanout, JsonLinesSink, LedgerAuditSink }, { loadAdapters }, { runSmoke }, executor, readers, signals] = await Promise.all([
    import('../events/event-sinks.js'),
    import('../adapters/registry.js'),
    import('./run-smoke.js'),
    executing,
    executing.then((shared) => composeSlotReaders(config, shared)),
    composeSignalReaders(config),
  ]);
  const sink = new EventFanout(actor, [new LedgerAuditSink(ledger, actor)]);
  if (options.eventLog ?? true) sink.add(await JsonLinesSink.create(config.log.file));
  const stores = Object.values(config.environments).some((e) => e.state);
  const gates = Object.values(config.environments).some((e) => e.ci);
  // Only the engines, notifiers, stores and gates the environments name: each other one is a chunk compiled for nothing.
  const { createDatabaseEngine, createNotifiers, createStateStore, createCiChecks } = await loadAdapters(['database', ...(notifies ? (['notifier'] as const) : []), ...(stores ? (['state-store'] as const) : []), ...(gates ? (['ci-checks'] as const) : [])], Object.values(config.environments));
  if (notifies) await addNotifyOutbox(context, sink, createNotifiers((env) => ownValue(config.environments, env)), options.stderr ?? process.stderr);
  for (const extra of options.sinks ?? []) sink.add(extra);
  return {
    config,
    ledger,
    sink,
    actor,
    now: Date.now,
    warn: (line) => void (options.stderr ?? process.stderr).write(`${line}\n`),
    ...readers,
    ...signals,
    runSmoke,
    executor,
    createDatabaseEngine: (env, envConfig) => createDatabaseEngine(env, envConfig, executor),
    ...(stores ? { createStateStore: (_env: string, envConfig: EnvironmentConfig) => createStateStore(envConfig, executor) } : {}),
    // The CI gate's token is read from the process environment when the checks are read, never from the config.
    ...(gates ? { createCiChecks: (_env: string, envConfig: EnvironmentConfig) => createCiChecks(envConfig, process.env) } : {}),
    interruption: options.interruption,
  };
}

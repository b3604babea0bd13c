import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import type { RewindConfig } from '../config/config-schema.js';
import { currentActor } from '../core/clock.js';
import type { Services } from '../core/services.js';
import { openLedger } from '../ledger/open-ledger.js';
import type { Ledger } from '../ports/ledger.js';
import { ownValue } from '../util/own-property.js';
import { styleOf, type CliIo } from './cli-io.js';
import type { ParsedArgs } from './parse-args.js';

export interface CliContext {
  config: RewindConfig;
  configPath: string;
  ledger: Ledger;
  actor: string;
  close(): Promise<void>;
}

/** Config and ledger only: what read-only commands need, kept cheap for start-up time. */
export async function openContext(args: ParsedArgs, io: CliIo): Promise<CliContext> {
  const { config, path } = loadConfig(resolveConfigPath(args.string('config'), io.env), io.env);
  const ledger = await openLedger(config.ledger);
  return { config, configPath: path, ledger, actor: currentActor(io.env), close: () => ledger.close() };
}

/**
 * Everything an operation needs: event sinks (ledger audit, the JSON-lines log file, and stdout as
 * JSON lines with --json or the human view otherwise), the target registry and the health checker.
 */
export async function buildServices(context: CliContext, io: CliIo, options: { json: boolean; quiet?: boolean }): Promise<Services> {
  const [{ EventFanout, JsonLinesSink, LedgerAuditSink }, { loadAdapters }, { ProcessExecutor }, { checkHealth }, { HumanRenderer }, { runSmoke }, { ConfigSecrets }] = await Promise.all([
    import('../events/event-sinks.js'),
    import('../adapters/registry.js'),
    import('../exec/process-executor.js'),
    import('../adapters/checks/http-health-check.js'),
    import('./human-renderer.js'),
    import('../app/run-smoke.js'),
    import('../config/config-secrets.js'),
  ]);
  const notifies = Object.values(context.config.environments).some((e) => e.notify?.webhooks.length);
  const { createTarget, createDatabaseEngine, createMetricSource, createTrafficRouter, createNotifiers } = await loadAdapters(['target', 'runtime', 'database', 'metric-source', 'router', ...(notifies ? (['notifier'] as const) : [])]);
  const sink = new EventFanout(context.actor, [new LedgerAuditSink(context.ledger, context.actor), await JsonLinesSink.create(context.config.log.file)]);
  if (notifies) for (const notifier of createNotifiers((env) => ownValue(context.config.environments, env), io.stderr)) sink.add(notifier);
  if (options.json) sink.add(await JsonLinesSink.create(io.stdout, { live: true }));
  else if (!options.quiet) sink.add(new HumanRenderer(io.stdout, { style: styleOf(io) }));
  // The one place commands' secret references become values, read from this config as each command starts.
  const executor = new ProcessExecutor(new ConfigSecrets(context.config));
  return {
    config: context.config,
    ledger: context.ledger,
    sink,
    actor: context.actor,
    now: Date.now,
    createTarget: (_env, config) => createTarget(config, executor),
    checkHealth,
    runSmoke,
    createMetricSource,
    createTrafficRouter: (_env, config) => createTrafficRouter(config, executor),
    executor,
    createDatabaseEngine: (env, config) => createDatabaseEngine(env, config, executor),
    interruption: io.interruption,
  };
}

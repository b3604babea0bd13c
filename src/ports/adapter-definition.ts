import type { ZodType } from 'zod';
import type { CiChecks } from './ci-checks.js';
import type { DatabaseEngine } from './database-engine.js';
import type { DrillNotices } from '../events/drill-notices.js';
import type { IncidentSettings } from '../events/incident-template-constants.js';
import type { Executor, StreamingExecutor } from './executor.js';
import type { MetricScope, MetricSource } from './metric-source.js';
import type { NotifierDestination } from './notifier.js';
import type { Runtime, RuntimeCapabilities } from './runtime.js';
import type { SecretRef } from './secret-ref.js';
import type { StateStore } from './state-store.js';
import type { Target, TargetCapabilities } from './target.js';
import type { RouterBackends, TrafficRouter, TrafficRouterCapabilities } from './traffic-router.js';

/** The ports an adapter can fill, as the registry groups them. */
export type AdapterKind = 'target' | 'runtime' | 'database' | 'metric-source' | 'router' | 'notifier' | 'state-store' | 'ci-checks';

/** Where the config file is and which environment is being resolved, for `resolvePaths`. */
export interface PathContext {
  /** The environment whose config this is (some defaults name it: backups/<env>). */
  readonly env: string;
  /** The directory of the config file. */
  readonly baseDir: string;
  /** `path` made absolute against `baseDir` (an absolute path is kept). */
  abs(path: string): string;
}

/**
 * One adapter as the registry (src/adapters/registry.ts) holds it: what the config names it, how its
 * slice of the config is checked, resolved and redacted, what the core may rely on, and how to build
 * it. Everything here except `load` is cheap: validating a config (which `rewind status` does) reads
 * definitions and loads no adapter implementation; `load` imports that only when one is built.
 *
 * `Deps` is what the registry hands every adapter of the kind (an executor, a runtime, a scope).
 */
export interface AdapterDefinition<Config = unknown, Deps = unknown, Port = unknown, Capabilities = undefined, BuildConfig = Config> {
  readonly kind: AdapterKind;
  /** The registry's own name for it; unique within its kind (`slotted-releases`). */
  readonly name: string;
  /** The value of the config's discriminator (`type:`, or `engine:` for databases) that selects it. */
  readonly type: string;
  /**
   * When several definitions share a `type` (`releases` with and without `slots:`), the first whose
   * `matches` accepts the validated config is chosen; a definition without it matches every config of its type.
   */
  matches?(config: Config): boolean;
  /** The zod schema of this adapter's slice of the config; config-schema.ts composes the unions from them. */
  readonly configSchema: ZodType<Config>;
  /** Makes the config's relative paths absolute, in place (relative to the config file). Called once, after validation. */
  resolvePaths?(config: Config, at: PathContext): void;
  /** The secret values in this adapter's config (URL passwords, header values, secret-looking env entries): redacted everywhere. */
  secrets?(config: Config): string[];
  /** What this adapter overrides of its kind's defaults (DEFAULT_TARGET_CAPABILITIES and friends). */
  readonly capabilities: Capabilities;
  /** Imports the implementation (a dynamic import) and returns its factory. */
  load(): Promise<AdapterFactory<BuildConfig, Deps, Port>>;
}

/** Builds one adapter from its validated, path-resolved config. Synchronous: anything slow happens in the port's methods. */
export type AdapterFactory<Config, Deps, Port> = (config: Config, deps: Deps) => Port;

/** What the registry hands a target: the runtime registry (for targets that run an app on this machine) and its capabilities. */
export interface TargetDeps {
  readonly executor: Executor;
  /** DEFAULT_TARGET_CAPABILITIES with the definition's overrides. */
  readonly capabilities: TargetCapabilities;
  /**
   * Builds the runtime a `runtime:` config names, through its definition. `executor`: where its
   * commands run instead of this machine (the ssh-fleet target hands one per host); the runtime is
   * then built as a remote one (RuntimeDeps.remote).
   */
  createRuntime(config: { type: string }, executor?: Executor): Runtime;
}
export interface TargetDefinition<Config> extends AdapterDefinition<Config, TargetDeps, Target, Partial<TargetCapabilities>> {
  /**
   * False for targets with no release files on this machine (images: compose). A database's
   * `migrations:` are read from a release's files, so the config refuses them with such a target
   * instead of a deploy failing at its migrations step. Default true.
   */
  readonly releaseFiles?: boolean;
}

export interface RuntimeDeps {
  readonly executor: Executor;
  /**
   * True when `executor` runs its commands on another machine (a fleet's host, over ssh): the
   * runtime must do everything through it, and reach into no process or file of this machine.
   */
  readonly remote?: boolean;
}
export type RuntimeDefinition<Config> = AdapterDefinition<Config, RuntimeDeps, Runtime, Partial<RuntimeCapabilities>>;

export interface DatabaseDeps {
  readonly executor: StreamingExecutor;
  /** Where the engine's commands name the password (the executor reads it there when they run). */
  readonly passwordRef: SecretRef;
}
export interface DatabaseDefinition<Config> extends AdapterDefinition<Config, DatabaseDeps, DatabaseEngine> {
  /** The password the engine's tools are handed (through `passwordRef`, never in a plan); absent for engines without one. */
  password?(config: Config): string;
}

export interface MetricSourceDeps {
  /** One server to measure on its own (a canary's slot) instead of what the config names. */
  readonly scope?: MetricScope;
}
export type MetricSourceDefinition<Config> = AdapterDefinition<Config, MetricSourceDeps, MetricSource>;

export interface RouterDeps {
  readonly executor: Executor;
  /** The two slots: `stable` is blue and `canary` is green, whatever each holds now. */
  readonly backends: RouterBackends;
  /** DEFAULT_TRAFFIC_ROUTER_CAPABILITIES with the definition's overrides. */
  readonly capabilities: TrafficRouterCapabilities;
}
export interface RouterDefinition<Config> extends AdapterDefinition<Config, RouterDeps, TrafficRouter, Partial<TrafficRouterCapabilities>> {
  /** The router's own names for the blue and green slots (default `blue` and `green`). */
  slotNames?(config: Config): { blue: string; green: string };
  /**
   * The router forwards to groups the platform keeps (ALB target groups) and checks their health
   * itself, so it can front slots that have no address of their own (ECS services). Default false:
   * the router forwards to each slot's host and port.
   */
  readonly frontsAddresslessSlots?: boolean;
}

export interface NotifierDeps {
  /** The environment whose `notify:` the destination comes from. */
  readonly env: string;
  /** That environment's incident texts (`notify.incident`). */
  readonly incident: IncidentSettings;
  /** How a drill's events are told (`notify.drills`); `off` is applied around every destination, the rest is each notifier's. */
  readonly drills: DrillNotices;
}
/**
 * A notifier builds one outbox destination per config entry (`notify.<configKey>[]`); events reach
 * it through the ledger's outbox, never inline (events/notify-outbox-sink.ts).
 */
export interface NotifierDefinition<Config> extends AdapterDefinition<Config, NotifierDeps, NotifierDestination> {
  /** The key under `notify:` that lists this notifier's destinations. */
  readonly configKey: string;
}

export interface StateStoreDeps {
  /** Runs the configured restart argv after a restore. */
  readonly executor: Executor;
}
export type StateStoreDefinition<Config> = AdapterDefinition<Config, StateStoreDeps, StateStore>;

export interface CiChecksDeps {
  /** Where the token variable (`tokenEnv`) is read: the process environment. */
  readonly env: NodeJS.ProcessEnv;
}
export type CiChecksDefinition<Config> = AdapterDefinition<Config, CiChecksDeps, CiChecks>;

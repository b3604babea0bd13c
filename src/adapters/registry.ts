import { databasePasswordRef } from '../config/parts/secret-paths.js';
import { RewindError } from '../errors/rewind-error.js';
import type {
  AdapterDefinition,
  AdapterFactory,
  AdapterKind,
  CiChecksDefinition,
  DatabaseDefinition,
  MetricSourceDefinition,
  NotifierDefinition,
  PathContext,
  RouterDefinition,
  RuntimeDefinition,
  StateStoreDefinition,
  TargetDefinition,
} from '../ports/adapter-definition.js';
import type { CiChecks } from '../ports/ci-checks.js';
import type { DatabaseEngine } from '../ports/database-engine.js';
import type { NotifierDestination } from '../ports/notifier.js';
import { DEFAULT_DRILL_NOTICES, silentOnDrills, type DrillNotices } from '../events/drill-notices.js';
import { DEFAULT_INCIDENT_SETTINGS, type IncidentSettings } from '../events/incident-template-constants.js';
import type { Executor, StreamingExecutor } from '../ports/executor.js';
import type { MetricScope, MetricSource } from '../ports/metric-source.js';
import { DEFAULT_RUNTIME_CAPABILITIES, type Runtime } from '../ports/runtime.js';
import { DEFAULT_TARGET_CAPABILITIES, type Target } from '../ports/target.js';
import type { RouterBackends, TrafficRouter } from '../ports/traffic-router.js';
import type { StateStore } from '../ports/state-store.js';
import { githubCiDefinition } from './ci/github/github-ci-definition.js';
import { redisStateStoreDefinition } from './stores/redis/redis-definition.js';
import { mysqlDatabaseDefinition } from './databases/mysql/mysql-definition.js';
import { postgresDatabaseDefinition } from './databases/postgres/postgres-definition.js';
import { sqliteDatabaseDefinition } from './databases/sqlite/sqlite-definition.js';
import { httpProbeSourceDefinition } from './metrics/http-probe/http-probe-definition.js';
import { prometheusSourceDefinition } from './metrics/prometheus/prometheus-definition.js';
import { pagerdutyNotifierDefinition } from './notifiers/pagerduty/pagerduty-definition.js';
import { slackNotifierDefinition } from './notifiers/slack/slack-definition.js';
import { webhookNotifierDefinition } from './notifiers/webhook/webhook-definition.js';
import { registeredAdapter } from './registered-adapter.js';
import { routerCapabilities } from './routers/router-capabilities.js';
import type { WebhookConfig } from './notifiers/webhook/webhook-config.js';
import type { ReleasesTargetConfig } from './targets/releases/releases-config.js';
import type { ComposeTargetConfig } from './targets/compose/compose-config.js';
import { composeTargetDefinition } from './targets/compose/compose-definition.js';
import type { EcsTargetConfig } from './targets/ecs/ecs-config.js';
import { ecsTargetDefinition } from './targets/ecs/ecs-definition.js';
import { slottedEcsTargetDefinition } from './targets/ecs/slotted-ecs-definition.js';
import { albRouterDefinition } from './routers/alb/alb-definition.js';
import type { KubernetesTargetConfig } from './targets/kubernetes/kubernetes-config.js';
import { kubernetesTargetDefinition } from './targets/kubernetes/kubernetes-definition.js';
import type { HelmTargetConfig } from './targets/helm/helm-config.js';
import { helmTargetDefinition } from './targets/helm/helm-definition.js';
import type { RailwayTargetConfig } from './targets/railway/railway-config.js';
import { railwayTargetDefinition } from './targets/railway/railway-definition.js';
import type { VercelTargetConfig } from './targets/vercel/vercel-config.js';
import { vercelTargetDefinition } from './targets/vercel/vercel-definition.js';
import { haproxyRouterDefinition } from './routers/haproxy/haproxy-definition.js';
import { nginxRouterDefinition } from './routers/nginx/nginx-definition.js';
import { commandRuntimeDefinition } from './runtimes/command/command-definition.js';
import { pm2RuntimeDefinition } from './runtimes/pm2/pm2-definition.js';
import { releasesTargetDefinition } from './targets/releases/releases-definition.js';
import { slottedReleasesTargetDefinition } from './targets/slotted-releases/slotted-releases-definition.js';
import { sshFleetTargetDefinition } from './targets/ssh-fleet/ssh-fleet-definition.js';

/**
 * The slice of an environment's configuration the registry reads: one entry per adapter kind.
 * config/config-schema.ts composes the full environment from the adapters' own schemas (it sits
 * above this layer), and its EnvironmentConfig fits this shape.
 */
/**
 * A target's config, one member per target type. Only the releases targets have a `runtime:` (they
 * run the app on this machine) and `slots:`; an image target (compose) has neither: Docker runs it.
 */
export type TargetAdapterConfig = ReleasesTargetConfig | ComposeTargetConfig | EcsTargetConfig | KubernetesTargetConfig | HelmTargetConfig | RailwayTargetConfig | VercelTargetConfig;

export interface EnvironmentAdapterConfigs {
  target: TargetAdapterConfig;
  database?: { engine: string; [setting: string]: unknown };
  watch?: { source: { type: string; [setting: string]: unknown } };
  /** Each notifier's destinations under its definition's `configKey` (webhooks, slack, pagerduty). */
  notify?: { webhooks: WebhookConfig[]; incident?: IncidentSettings; drills?: DrillNotices; [configKey: string]: unknown };
  traffic?: { router: { type: string; [setting: string]: unknown } };
  state?: { type: string; [setting: string]: unknown };
  ci?: { type: string; [setting: string]: unknown };
}
/*
 * Every adapter rewind has, one line each, by kind. The config picks one by its `type` (`engine` for
 * databases); nothing outside this file branches on those strings. Reading a definition loads no
 * adapter code (config validation, `rewind status`); loadAdapters imports the implementations.
 */

// Stored with their config widened (`any`): each definition is only ever handed a config that its
// own schema, the branch of its type, accepted.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** In order: the first definition of a type whose `matches` accepts the config is the one built (slotted and fleet before plain releases). */
export const TARGETS: readonly TargetDefinition<any>[] = [slottedReleasesTargetDefinition, sshFleetTargetDefinition, releasesTargetDefinition, composeTargetDefinition, slottedEcsTargetDefinition, ecsTargetDefinition, kubernetesTargetDefinition, helmTargetDefinition, railwayTargetDefinition, vercelTargetDefinition];
export const RUNTIMES: readonly RuntimeDefinition<any>[] = [pm2RuntimeDefinition, commandRuntimeDefinition];
export const DATABASES: readonly DatabaseDefinition<any>[] = [postgresDatabaseDefinition, mysqlDatabaseDefinition, sqliteDatabaseDefinition];
export const METRIC_SOURCES: readonly MetricSourceDefinition<any>[] = [prometheusSourceDefinition, httpProbeSourceDefinition];
export const ROUTERS: readonly RouterDefinition<any>[] = [haproxyRouterDefinition, nginxRouterDefinition, albRouterDefinition];
export const NOTIFIERS: readonly NotifierDefinition<any>[] = [webhookNotifierDefinition, slackNotifierDefinition, pagerdutyNotifierDefinition];
export const STATE_STORES: readonly StateStoreDefinition<any>[] = [redisStateStoreDefinition];
export const CI_CHECKS: readonly CiChecksDefinition<any>[] = [githubCiDefinition];

/** The config entries of one notifier in an environment's `notify:`. */
const notifierConfigs = (notify: EnvironmentAdapterConfigs['notify'], definition: NotifierDefinition<any>): unknown[] => {
  const entries = notify?.[definition.configKey];
  return Array.isArray(entries) ? entries : [];
};

const ALL: Record<AdapterKind, readonly AdapterDefinition<any, any, any, any, any>[]> = { target: TARGETS, runtime: RUNTIMES, database: DATABASES, 'metric-source': METRIC_SOURCES, router: ROUTERS, notifier: NOTIFIERS, 'state-store': STATE_STORES, 'ci-checks': CI_CHECKS };

/**
 * The definition a config names. The schema admits only registered types, so a miss means a config
 * that never went through it (a test, a bench, a future API): a coded error naming the known types.
 */
function definitionOf<D extends AdapterDefinition<any, any, any, any, any>>(definitions: readonly D[], config: { type: string }, key: string): D {
  const ofType = definitions.filter((d) => d.type === config.type);
  const byType = Object.fromEntries(definitions.map((d) => [d.type, d]));
  registeredAdapter(byType, config.type, key); // throws REWIND_E_CONFIG_INVALID for an unknown type
  return ofType.find((d) => !d.matches || d.matches(config)) ?? ofType[0]!;
}

const targetOf = (target: EnvironmentAdapterConfigs['target']) => definitionOf(TARGETS, target, 'target.type');
const runtimeOf = (runtime: { type: string }) => definitionOf(RUNTIMES, runtime, 'target.runtime.type');
const databaseOf = (database: { engine: string }) => definitionOf(DATABASES, { ...database, type: database.engine }, 'database.engine');
const metricSourceOf = (source: { type: string }) => definitionOf(METRIC_SOURCES, source, 'watch.source.type');
const routerOf = (router: { type: string }) => definitionOf(ROUTERS, router, 'traffic.router.type');
const stateStoreOf = (state: { type: string }) => definitionOf(STATE_STORES, state, 'state.type');
const ciChecksOf = (ci: { type: string }) => definitionOf(CI_CHECKS, ci, 'ci.type');

/** Whether slots (blue-green, canary) may run under this runtime: its definition declares `runsSlots`. */
export function runtimeSupportsSlots(runtime: { type: string }): boolean {
  return { ...DEFAULT_RUNTIME_CAPABILITIES, ...runtimeOf(runtime).capabilities }.runsSlots;
}

/** The runtime a target runs its app under, or undefined for targets without one (compose: Docker runs it). */
export function runtimeConfigOf(target: TargetAdapterConfig): ReleasesTargetConfig['runtime'] | undefined {
  return 'runtime' in target ? target.runtime : undefined;
}

/** Whether the target unpacks release files on this machine, where a database's migrations are read from. */
export function targetHasReleaseFiles(target: TargetAdapterConfig): boolean {
  return targetOf(target).releaseFiles !== false;
}

/** The two warm slots of a slotted target (releases: processes on ports; ecs: services), or undefined (every other target). */
export function slotsConfigOf(target: TargetAdapterConfig): ReleasesTargetConfig['slots'] | EcsTargetConfig['slots'] {
  return 'slots' in target ? target.slots : undefined;
}

/**
 * Whether the slots have addresses of their own (a host and a port rewind can probe and a proxy can
 * forward to). ECS slots do not: each is a service whose tasks are registered in its own target
 * group, so only a router that forwards to target groups (alb) can front them.
 */
export function slotsHaveAddresses(target: TargetAdapterConfig): boolean {
  const slots = slotsConfigOf(target);
  return slots !== undefined && 'host' in slots;
}

/** Whether this router can front slots without addresses (ECS services): its definition declares `frontsAddresslessSlots`. */
export function routerFrontsAddresslessSlots(router: { type: string }): boolean {
  return routerOf(router).frontsAddresslessSlots === true;
}

/** Makes the relative paths in an environment's adapter configs absolute, each as its definition says (in place). */
export function resolveAdapterPaths(environment: EnvironmentAdapterConfigs, at: PathContext): void {
  const { target, database } = environment;
  targetOf(target).resolvePaths?.(target, at);
  const runtime = runtimeConfigOf(target);
  if (runtime) runtimeOf(runtime).resolvePaths?.(runtime, at);
  if (database) databaseOf(database).resolvePaths?.(database, at);
  if (environment.state) stateStoreOf(environment.state).resolvePaths?.(environment.state, at);
}

/** The secret values in an environment's adapter configs, as each definition names them. */
export function adapterSecrets(environment: EnvironmentAdapterConfigs): string[] {
  const { target, database, watch, notify } = environment;
  const runtime = runtimeConfigOf(target);
  return [
    ...(targetOf(target).secrets?.(target) ?? []),
    ...(runtime ? (runtimeOf(runtime).secrets?.(runtime) ?? []) : []),
    ...(database ? (databaseOf(database).secrets?.(database) ?? []) : []),
    ...(watch ? (metricSourceOf(watch.source).secrets?.(watch.source) ?? []) : []),
    ...NOTIFIERS.flatMap((definition) => notifierConfigs(notify, definition).flatMap((entry) => definition.secrets?.(entry) ?? [])),
    ...(environment.state ? (stateStoreOf(environment.state).secrets?.(environment.state) ?? []) : []),
  ];
}

/** The password a database's tools are handed through a SecretRef, or undefined for engines without one. */
export function databasePassword(database: NonNullable<EnvironmentAdapterConfigs['database']>): string | undefined {
  return databaseOf(database).password?.(database);
}

/** The adapters, built synchronously from configs once their implementations are loaded (loadAdapters). */
export interface Adapters {
  createTarget(environment: EnvironmentAdapterConfigs, executor: Executor): Target;
  createRuntime(runtime: ReleasesTargetConfig['runtime'], executor: Executor): Runtime;
  /** Throws REWIND_E_NO_DATABASE when the environment has none. */
  createDatabaseEngine(env: string, environment: EnvironmentAdapterConfigs, executor: StreamingExecutor): DatabaseEngine;
  /** Throws REWIND_E_CONFIG_INVALID for settings the adapter refuses. */
  createMetricSource(source: { type: string; [setting: string]: unknown }, scope?: MetricScope): MetricSource;
  /**
   * The router in front of an environment's two slots. The port's two backends are the two slots:
   * `stable` is blue and `canary` is green, whatever each holds now; core/traffic-slots.ts turns "send
   * p % to slot X" into weights, so which slot is "stable" changes with every deploy, not here.
   */
  createTrafficRouter(environment: EnvironmentAdapterConfigs, executor: Executor): TrafficRouter;
  /** The notifier destinations of an environment (`notify:`), built once per environment: what the outbox queues for and sends to. */
  createNotifiers(environments: (env: string) => EnvironmentAdapterConfigs | undefined): (env: string) => readonly NotifierDestination[];
  /** The environment's state store (`state:`); REWIND_E_CONFIG_INVALID when it has none. */
  createStateStore(environment: EnvironmentAdapterConfigs, executor: Executor): StateStore;
  /** The environment's CI gate (`ci:`); REWIND_E_CONFIG_INVALID when it has none. `env`: where its token variable is read. */
  createCiChecks(environment: EnvironmentAdapterConfigs, env: NodeJS.ProcessEnv): CiChecks;
}

/**
 * The definitions these environments name, of every kind: all a command built for them needs loaded.
 * A platform's SDK is the weight that matters (the Kubernetes client alone takes about 1 s to
 * import), but every adapter no environment names is a chunk compiled for nothing at each start.
 */
function usedAdapters(environments: readonly EnvironmentAdapterConfigs[]): Set<AdapterDefinition<any, any, any, any, any>> {
  const used = new Set<AdapterDefinition<any, any, any, any, any>>();
  for (const environment of environments) {
    used.add(targetOf(environment.target));
    const runtime = runtimeConfigOf(environment.target);
    if (runtime) used.add(runtimeOf(runtime));
    if (environment.traffic) used.add(routerOf(environment.traffic.router));
    if (environment.database) used.add(databaseOf(environment.database));
    if (environment.watch) used.add(metricSourceOf(environment.watch.source));
    for (const notifier of NOTIFIERS) if (notifierConfigs(environment.notify, notifier).length > 0) used.add(notifier);
    if (environment.state) used.add(stateStoreOf(environment.state));
    if (environment.ci) used.add(ciChecksOf(environment.ci));
  }
  return used;
}

const loaded = new Map<AdapterDefinition<any, any, any, any, any>, Promise<AdapterFactory<any, any, any>>>();

/**
 * Imports the implementations of the given kinds (all by default), once per process, and returns
 * the factories. Only commands that build adapters call it; `status` without `traffic:` never does.
 * With `environments`, only the definitions they name are imported; building any other is an error.
 */
export async function loadAdapters(kinds: readonly AdapterKind[] = Object.keys(ALL) as AdapterKind[], environments?: readonly EnvironmentAdapterConfigs[]): Promise<Adapters> {
  const used = environments ? usedAdapters(environments) : undefined;
  const definitions = kinds.flatMap((kind) => ALL[kind]).filter((d) => !used || used.has(d));
  const factories = new Map(await Promise.all(definitions.map(async (d) => {
    if (!loaded.has(d)) loaded.set(d, d.load());
    return [d, await loaded.get(d)!] as const;
  })));
  const factoryOf = (definition: AdapterDefinition<any, any, any, any, any>) => {
    const factory = factories.get(definition);
    if (!factory) throw new Error(`the ${definition.kind} adapter ${definition.type} was not loaded (loadAdapters([..., '${definition.kind}']) with environments that name it)`);
    return factory;
  };
  const createRuntime = (runtime: { type: string }, executor: Executor, remote = false): Runtime => factoryOf(runtimeOf(runtime))(runtime, { executor, remote });
  return {
    createRuntime,
    createTarget(environment, executor) {
      const definition = targetOf(environment.target);
      const capabilities = { ...DEFAULT_TARGET_CAPABILITIES, ...definition.capabilities };
      return factoryOf(definition)(environment.target, { executor, capabilities, createRuntime: (runtime: { type: string }, on?: Executor) => (on ? createRuntime(runtime, on, true) : createRuntime(runtime, executor)) });
    },
    createDatabaseEngine(env, environment, executor) {
      if (!environment.database) {
        throw new RewindError('REWIND_E_NO_DATABASE', `environment ${JSON.stringify(env)} has no database configured (environments.${env}.database)`, { env });
      }
      // The engine's commands name the password by its place in the config; the executor reads it there when it runs them.
      return factoryOf(databaseOf(environment.database))(environment.database, { executor, passwordRef: databasePasswordRef(env) });
    },
    createMetricSource: (source, scope) => factoryOf(metricSourceOf(source))(source, { scope }),
    createTrafficRouter(environment, executor) {
      const { traffic, target } = environment;
      const slots = slotsConfigOf(target);
      if (!traffic || !slots) throw new RewindError('REWIND_E_CONFIG_INVALID', 'this environment has no traffic router (configure traffic: and target.slots)');
      const definition = routerOf(traffic.router);
      const names = definition.slotNames?.(traffic.router) ?? { blue: 'blue', green: 'green' };
      // ECS slots have no address (slotsHaveAddresses): the alb router, the only one the config lets
      // front them, forwards to its target groups and never reads a backend's host or port. The
      // services' names stand in, with port 0 for "none".
      const backends: RouterBackends =
        'host' in slots
          ? { stable: { name: names.blue, host: slots.host, port: slots.blue.port }, canary: { name: names.green, host: slots.host, port: slots.green.port } }
          : { stable: { name: names.blue, host: slots.blue.service, port: 0 }, canary: { name: names.green, host: slots.green.service, port: 0 } };
      return factoryOf(definition)(traffic.router, { executor, backends, capabilities: routerCapabilities(definition) });
    },
    createStateStore(environment, executor) {
      if (!environment.state) throw new RewindError('REWIND_E_CONFIG_INVALID', 'this environment has no state store (configure state:)');
      return factoryOf(stateStoreOf(environment.state))(environment.state, { executor });
    },
    createCiChecks(environment, env) {
      if (!environment.ci) throw new RewindError('REWIND_E_CONFIG_INVALID', 'this environment has no CI gate (configure ci:)');
      return factoryOf(ciChecksOf(environment.ci))(environment.ci, { env });
    },
    createNotifiers(environments) {
      const built = new Map<string, readonly NotifierDestination[]>();
      return (env) => {
        if (!built.has(env)) {
          const notify = environments(env)?.notify;
          const deps = { env, incident: notify?.incident ?? DEFAULT_INCIDENT_SETTINGS, drills: notify?.drills ?? DEFAULT_DRILL_NOTICES };
          const destinations = NOTIFIERS.flatMap((definition) => notifierConfigs(notify, definition).map((entry) => factoryOf(definition)(entry, deps)));
          built.set(env, deps.drills === 'off' ? destinations.map(silentOnDrills) : destinations);
        }
        return built.get(env)!;
      };
    },
  };
}

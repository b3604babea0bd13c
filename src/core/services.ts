import type { EnvironmentConfig, HealthCheckConfig, RewindConfig, SmokeSettings, WatchSettings } from '../config/config-schema.js';
import type { CiChecks } from '../ports/ci-checks.js';
import type { MetricSource } from '../ports/metric-source.js';
import type { DatabaseEngine } from '../ports/database-engine.js';
import type { EventSink } from '../ports/event-sink.js';
import type { Executor } from '../ports/executor.js';
import type { Ledger } from '../ports/ledger.js';
import type { Outcome } from '../ports/outcome.js';
import type { ProgressReporter } from '../ports/step-progress.js';
import type { Target } from '../ports/target.js';
import type { TrafficRouter } from '../ports/traffic-router.js';
import type { StateStore } from '../ports/state-store.js';

/** What the operation drivers need from the outside world; the CLI, the demo and tests each wire one. */
export interface Services {
  config: RewindConfig;
  ledger: Ledger;
  sink: EventSink;
  actor: string;
  now: () => number;
  /** Says something to the person at the terminal (stderr) that must not change an operation's outcome. */
  warn?: (line: string) => void;
  createTarget(env: string, config: EnvironmentConfig): Target;
  /** Probes until healthy or out of retries; each retried attempt is told to `progress` (step_progress). */
  checkHealth(config: HealthCheckConfig, version: string, progress?: ProgressReporter): Promise<Outcome>;
  /** Loads and runs the environment's smoke suite against `version`; a failing app is a `failed` outcome. */
  runSmoke(config: SmokeSettings, version: string, progress?: ProgressReporter): Promise<Outcome>;
  /**
   * The watch window's metric source (`watch.source.type`), from the registry; with `scope`, aimed
   * at one server (a canary measures each slot on its own).
   */
  createMetricSource(config: WatchSettings['source'], scope?: { host: string; port: number; slot: string }): MetricSource;
  /** The router in front of the environment's two slots (`traffic.router`); REWIND_E_CONFIG_INVALID without one. */
  createTrafficRouter(env: string, config: EnvironmentConfig): TrafficRouter;
  /** Runs user-given argv (the migration command); the only way core starts a process. */
  executor: Executor;
  /** The environment's database adapter (`database.engine`); REWIND_E_NO_DATABASE when it has none. */
  createDatabaseEngine(env: string, config: EnvironmentConfig): DatabaseEngine;
  /** The environment's state store (`state:`); absent in wirings without one (steps then fail, coded). */
  createStateStore?(env: string, config: EnvironmentConfig): StateStore;
  /** The environment's CI gate (`ci:`); absent in wirings without one (a configured gate is then a coded config error). */
  createCiChecks?(env: string, config: EnvironmentConfig): CiChecks;
  /** Set by the CLI: whether a signal asked the operation to stop at its next safe point (between steps). */
  interruption?: Interruption;
}

export interface Interruption {
  requested(): boolean;
  /** While armed (a plan's steps run), a first signal only asks; unarmed, it exits at once. */
  arm(operation: InterruptibleOperation): void;
  disarm(): void;
  /** The step running now (null between steps): a second signal exits without waiting for it, and says which step it cut short. */
  inFlight(stepId: string | null): void;
  /** The signal that asked, for the report. */
  readonly signal: string | null;
}

/** What a second signal's message names: the operation it leaves unfinished. */
export interface InterruptibleOperation {
  env: string;
  operationId: string;
  kind: string;
  from: string | null;
  to: string;
}

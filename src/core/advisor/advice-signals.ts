import type { CiResult, OperationKind, ReleaseState } from '../../ports/ledger.js';
import type { DatabaseMode, MigrationVerdict } from '../database/database-rollback-decision.js';
import type { StepPhase } from '../plan.js';

/** The watch source types, as `watch.source.type` names them. */
export type MetricSourceKind = 'prometheus' | 'http-probe';

/**
 * One number rewind tried to measure itself through the environment's `watch.source`. `unknown`
 * carries why (no source configured, the source failed, no data, no baseline): a value is never
 * invented, and an unknown signal raises no finding. `missing` is the config key whose absence left
 * it unknown (`environments.staging.watch.source`), so the advice can say what to add; an unknown
 * health signal carries it too (`environments.staging.health`).
 */
export type MeasuredSignal =
  | { status: 'measured'; value: number; via: MetricSourceKind; detail: string }
  | { status: 'unknown'; reason: string; missing?: string };

/** Where the value the advice used came from: measured, given by the operator's flag, or not known. */
export type SignalOrigin =
  | { from: 'measured'; via: MetricSourceKind; detail: string }
  | { from: 'flag'; flag: '--error-rate' | '--latency-ratio'; measured: MeasuredSignal }
  | { from: 'unknown'; reason: string; missing?: string };

/** What an operator knows and rewind cannot measure; every field is optional and absent means "not said". */
export interface OperatorSignals {
  /** `--data-corruption`: data is being corrupted now (seed 002, seed 004 "Database corruption"). */
  dataCorruption?: boolean;
  /** `--security`: the release introduced a security vulnerability. */
  security?: boolean;
  /** `--feature-broken`: a feature does not work (seed 004 "Feature not working"). */
  featureBroken?: boolean;
  /** `--minor`: the issue is a minor (UI) bug (seed 004 "Minor UI bug"). */
  minor?: boolean;
  /** `--root-cause-known`: absent means unknown, which argues for a rollback (seed 004). */
  rootCauseKnown?: boolean;
  /** `--fix-eta`: minutes until a fix can be live. */
  fixEtaMinutes?: number;
  /** `--users-affected`. */
  usersAffected?: 'all' | 'many' | 'few';
  /** `--error-rate` (or a metric source): failed requests as a fraction, 0–1. */
  errorRate?: number;
  /** `--latency-ratio` (or a metric source): current latency over the baseline; 1.5 is 50 % slower. */
  latencyRatio?: number;
}

/** The newest deploy, when it failed: what the journal says went wrong and what happened next. */
export interface FailedDeploySignal {
  operationId: string;
  version: string;
  /** The step that failed, and its phase: a `preflight` failure changed nothing. */
  failedStep: string | null;
  phase: StepPhase | null;
  error: string | null;
  /** The automatic rollback it started, if any: running means it is still unfinished. */
  rollback: 'none' | 'succeeded' | 'failed' | 'running';
  rolledBackTo: string | null;
  /** The failed step applied the release's migrations. */
  migrationFailed: boolean;
  /** The backup taken before those migrations ran. */
  preUpgradeBackupId: number | null;
  /** The failed release is the environment's current release (it was activated). */
  stillCurrent: boolean;
}

/** What rewind reads itself: the ledger, the journal and the configured health check. */
export interface LiveSignals {
  env: string;
  health: { status: 'ok' | 'failing' | 'unknown'; message: string; missing?: string };
  current: { version: string; state: ReleaseState; ci: CiResult } | null;
  /** Where `rewind rollback` would go, with its CI result (seed 003: confirm it passed CI). */
  lastKnownGood: { version: string; ci: CiResult } | null;
  /** Present when the environment has a database. */
  database?: {
    /** The current release's recorded migration verdict (null: nothing recorded). */
    currentVerdict: MigrationVerdict | null;
    /** What `rewind rollback` would do to the database on its own, and why; absent without a current release and an LKG. */
    rollback?: { mode: DatabaseMode; reasons: string[]; backupId: number | null };
    /** Whether `--db restore` has a pre-upgrade backup to restore. */
    restoreAvailable: boolean;
  };
  lastDeploy?: FailedDeploySignal;
  /** Operations still running (or interrupted): a rollback or deploy refuses until they are resumed. */
  unfinished: { id: string; kind: OperationKind; from: string | null; to: string }[];
  /** How long the newest successful rollback of this environment took: the measured rollback ceremony. */
  lastRollbackMs?: number;
  /**
   * The error rate and the latency ratio measured now through `watch.source`; the ratio is the
   * measured p95 over the baseline p95 a deploy's `baseline-metrics` step recorded. gatherLiveSignals
   * always sets it; absent only for callers that build signals by hand.
   */
  metrics?: { errorRate: MeasuredSignal; latencyRatio: MeasuredSignal };
}

export interface AdviceSignals extends LiveSignals, OperatorSignals {
  /** Appended to every suggested command, e.g. `['--config', 'ops/rewind.yaml']` when one was given. */
  commandSuffix?: string[];
  /** Where `errorRate` and `latencyRatio` came from, for the reasons; absent: not said (pure callers). */
  origins?: { errorRate: SignalOrigin; latencyRatio: SignalOrigin };
}

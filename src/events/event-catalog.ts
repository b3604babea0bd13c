import type { ErrorCode } from '../errors/error-registry.js';
import type { DatabaseEngineName, RowCounts } from '../ports/database-engine.js';
import type { BackupKind, CiResult, OperationKind } from '../ports/ledger.js';
import type { OutcomeStatus } from '../ports/outcome.js';
import type { TrafficWeights } from '../ports/traffic-router.js';
import type { KeyCounts } from '../ports/state-store.js';

/**
 * The one catalog of events rewind emits. `EventFields` says what each event carries, typed as the
 * emit sites build it; `EVENT_CATALOG` is its runtime copy (when each is emitted, which fields it has
 * and which of them may be absent), which the compiler holds equal to `EventFields` and a test holds
 * equal to `docs/events.md`. A new event is one entry in each, and one row in the doc.
 *
 * Types here are restated rather than imported from core (events sit below core); the emit sites
 * are checked against them structurally.
 */

/** What serves, grouped by release (core/environment-agreement.ts `ServedSummary`); null: cannot tell. */
type Served = { version: string | null; processes: number }[] | null;

/** One metric reading of a watch window interval. */
type WatchReading = { metric: string; value: number | null; count?: number; errors?: number; outcome?: OutcomeStatus; sourceError?: string };

/** One reading of one side of a canary (only canary readings are judged, so only they have an outcome). */
type CanaryReading = { seq: number; side: 'canary' | 'stable'; metric: string; value: number | null; count?: number; errors?: number; outcome?: string; sourceError?: string };

/** An analysis run's decision after a measurement (core/analysis/analysis-run.ts). */
type AnalysisDecision = 'continue' | 'succeeded' | 'failed' | 'paused';
type MetricPhase = 'running' | 'succeeded' | 'failed' | 'inconclusive' | 'error';

/** The part of an operation's events that names it. */
type OperationFields = { env: string; operationId: string; from: string | null; to: string };
/** The step part of `step_*` events (runner.ts). */
type StepFields = OperationFields & { step: string; title: string };
/** How an operation that runs a plan ends (rollback, repair). */
type OperationEnd = OperationFields & { success: boolean; durationMs: number; error?: string };
/** How `db restore` and `db down` end; they share one code path and one shape. */
type DatabaseOperationEnd = { env: string; operationId: string; backupId?: number; success: boolean; durationMs: number; error?: string };

/**
 * What the incident texts are filled from (incident-templates.ts): the decision matrix's severity and
 * issue, the incident's number when it exists (joined at the start, recorded by the end), when the
 * problem was detected (ISO), and the impact a person recorded.
 */
type IncidentFields = { severity?: string; issue?: string; incidentId?: number; detectedAt?: string; impact?: string };
/** On the deploy and rollback events of a drill's operations (`rewind drill`): notifiers tell it from an incident. */
type DrillMark = { drill?: true };

/** Every event and its fields (besides `event` itself and the envelope the fanout stamps). */
export type EventFields = {
  release_registered: { env: string; to: string; digest: string; artifact: string; stored: string; commit: string | null; ci: CiResult };
  ci_checked: {
    env: string;
    operationId?: string;
    stage: 'register' | 'deploy' | 'rollback';
    to: string;
    provider: string;
    repository: string;
    commit: string | null;
    verdict: CiResult;
    summary: string;
    checks: { name: string; kind: 'check-run' | 'status'; status: string; conclusion: string | null; id: number; url: string | null }[];
    missing: string[];
    fetchedAt: number;
    allowedUntested?: true;
  };
  deploy_start: OperationFields & DrillMark;
  deploy_complete: OperationFields & DrillMark & { success: boolean; durationMs?: number; stage?: 'preflight'; paused?: true; error?: string | null; resumed?: true };
  rollback_start: OperationFields & DrillMark & { automatic: boolean; trigger: 'automatic' | 'manual'; reason?: string } & IncidentFields;
  rollback_database_decision: OperationFields & { trigger: 'automatic' | 'manual'; mode: string; reasons: string[]; backupId?: number };
  rollback_database_skipped: OperationFields & { reasons: string[] };
  rollback_refused: {
    env: string;
    operationId?: string;
    from: string | null;
    to?: string;
    trigger: 'automatic' | 'manual';
    mode?: string;
    reasons: string[];
    requested?: { to: string | null; db: string | null; reason: string | null };
  };
  rollback_complete: OperationEnd & DrillMark & IncidentFields;
  drill_start: { env: string; drillId: number; kind: 'failure' | 'database'; failure: string | null; from: string | null; drillVersion: string | null; backupId: number | null; forced: boolean; forceReason: string | null };
  drill_complete: { env: string; drillId: number; kind: 'failure' | 'database'; failure: string | null; success: boolean; ttdMs: number | null; ttrMs: number | null; error?: string };
  incident_opened: OperationFields & { incidentId: number; severity: string; issue: string };
  incident_joined: OperationFields & { incidentId: number; severity: string; issue: string };
  incident_record_failed: { env: string; operationId: string; error: string };
  incident_updated: { env: string; incidentId: number; changes: Record<string, unknown> };
  incident_closed: { env: string; incidentId: number; resolution: string | null };
  incident_changelog: { env: string; incidentId: number; path: string; section: string; yanked: string[] };
  flags_off: { env: string; operationId: string; version: string; flags: string[]; previous: Record<string, boolean | null> };
  flags_restored: { env: string; operationId: string; version: string; flags: string[]; restored: Record<string, boolean | null> };
  flags_failed: { env: string; operationId: string; version: string; action: 'off' | 'restore'; error: string };
  checklist_ticked: { env: string; operationId: string; item: string; note: string };
  restore_start: { env: string; operationId: string; backupId?: number; release: string | null };
  restore_complete: DatabaseOperationEnd;
  down_start: { env: string; operationId: string; migration: string; release: string | null };
  down_complete: DatabaseOperationEnd;
  repair_start: OperationFields & { reason?: string; found: string[] };
  repair_complete: OperationEnd;
  step_start: StepFields & { attempt: number };
  step_progress: StepFields & { message: string; current?: number; total?: number };
  step_complete: StepFields & { status: OutcomeStatus; durationMs: number; message: string };
  watch_measurement: { env: string; operationId: string; version: string; seq: number; of: number; readings: WatchReading[]; decision: AnalysisDecision; phases: Record<string, MetricPhase> };
  watch_paused: { env: string; operationId: string; version: string; reasons: string[]; canaryPercent?: number; trafficBackOn?: string };
  traffic_shifted: { env: string; operationId: string; version: string; slot: string; percent: number; weights: TrafficWeights; switchMs: number };
  canary_measurement: { env: string; operationId: string; version: string; percent: number; seq: number; of: number; readings: CanaryReading[]; decision: AnalysisDecision };
  app_restarted: { env: string; operationId: string; to: string; success: boolean; why: string; message: string };
  operation_resumed: OperationFields & { kind: OperationKind };
  operation_interrupted: OperationFields & { kind: OperationKind; signal: string; after: string | null; next: string; ledger: string | null; link: string | null; served: Served; closed: boolean };
  operation_abandoned: OperationFields & { kind: OperationKind; active: string | null; served: Served; problems: string[] };
  lock_taken_over: { env: string; previousHolder: string; previousPid: number; previousOperationId: string | null; why: 'expired' | 'holder process is gone' };
  lock_forced: { env: string; operationId: string | null; reason: string; previousHolder: string | null; previousPid: number | null };
  notify_retry: { env: string; ids: number[]; requeued: number };
  notify_dead: { env: string; operationId: string | null; id: number; notifier: string; destination: string; about: string; attempts: number; error: string };
  backup_complete: {
    env: string;
    operationId?: string;
    backupId: number;
    kind: BackupKind;
    release: string | null;
    engine: DatabaseEngineName;
    format: string;
    path: string;
    size: number;
    sha256: string;
    rowCounts: RowCounts;
    durationMs: number;
  };
  backup_failed: { env: string; operationId?: string; kind: BackupKind; release: string | null; engine: DatabaseEngineName; code: ErrorCode; error: string };
  backup_verified: { env: string; backupId: number; path: string; ok: boolean; reason?: string };
  backup_pruned: { env: string; backupId: number; kind: BackupKind; release: string | null; path: string; size: number; ageDays: number };
  pitr_checked: { env: string; ok: boolean; failed: string[] };
  state_snapshot_complete: { env: string; release: string | null; store: string; path: string; size: number; sha256: string; version: string; aof: boolean; keyCounts: KeyCounts; exactCounts: boolean; durationMs: number };
  state_snapshot_failed: { env: string; release: string | null; store: string; code: ErrorCode; error: string };
  state_restore_complete: { env: string; operationId: string; release: string | null; store: string; path: string; keyCounts: KeyCounts; expired: Record<string, number>; aofMovedTo: string | null; durationMs: number };
  state_cleanup_complete: { env: string; operationId: string; store: string; deleted: Record<string, number>; flushed: boolean };
  base_backup_complete: { env: string; path: string; size: number; sha256: string; startTime: string; endTime: string };
  pitr_restore_start: { env: string; toTime: string; baseBackup: string; dataDir: string };
  pitr_restore_complete: { env: string; success: boolean; toTime: string; dataDir?: string; port?: number; lastReplayedCommit?: string | null; durationMs?: number; error?: string };
  /** Not an event of the sinks: `rewind demo --json` prints it on stdout as its last line. */
  demo_complete: { success: boolean; servedVersion: string | null; durationMs: number };
};

export type EventName = keyof EventFields;

/** Events written straight to stdout by their command, not emitted through an `EventSink`. */
export type StdoutOnlyEventName = 'demo_complete';

/** What `EventFanout` stamps on every event before the sinks see it; an event may name its `actor` itself. */
export type EventEnvelope = { actor?: string; at?: number };

/** One event as a value: `event` names it, the rest are its fields. */
export type EventOf<N extends EventName> = { event: N } & EventFields[N];

/** Every event that goes through an `EventSink`: narrow on `event` to read its fields. */
export type RewindEvent = { [N in Exclude<EventName, StdoutOnlyEventName>]: EventOf<N> & EventEnvelope }[Exclude<EventName, StdoutOnlyEventName>];

/** `'optional'` for a field an event may leave out, `'always'` for one it always has; the compiler checks which. */
type Presence<F, K extends keyof F> = {} extends Pick<F, K> ? 'optional' : 'always';

export interface EventSpec<F> {
  /** When it is emitted, for people (docs/events.md shows exactly this text). */
  readonly when: string;
  /** Every field it carries, and whether it may be absent: exactly the keys of its type. */
  readonly fields: { readonly [K in keyof F]-?: Presence<F, K> };
}

const INCIDENT_FIELDS = { severity: 'optional', issue: 'optional', incidentId: 'optional', detectedAt: 'optional', impact: 'optional' } as const;

export const EVENT_CATALOG: { readonly [N in EventName]: EventSpec<EventFields[N]> } = {
  release_registered: {
    when: '`release register` recorded a new release (not when the same artifact was registered before)',
    fields: { env: 'always', to: 'always', digest: 'always', artifact: 'always', stored: 'always', commit: 'always', ci: 'always' },
  },
  ci_checked: {
    when: 'with a `ci:` gate (docs/ci.md): `release register` read the commit\'s checks (stage register), or a deploy or rollback read them again before planning (stage deploy / rollback; `allowedUntested` when --allow-untested let a result other than passed through)',
    fields: { env: 'always', operationId: 'optional', stage: 'always', to: 'always', provider: 'always', repository: 'always', commit: 'always', verdict: 'always', summary: 'always', checks: 'always', missing: 'always', fetchedAt: 'always', allowedUntested: 'optional' },
  },
  deploy_start: {
    when: 'a deploy holds the lock and its operation is created, before its first step',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', drill: 'optional' },
  },
  deploy_complete: {
    when: 'a deploy ends: succeeded, failed (`stage: preflight` when nothing was changed), paused by its watch or canary (`paused`), or closed by `resume` after it had handed over to its rollback (`resumed`, no `durationMs`)',
    fields: {
      env: 'always',
      operationId: 'always',
      from: 'always',
      to: 'always',
      success: 'always',
      durationMs: 'optional',
      stage: 'optional',
      paused: 'optional',
      error: 'optional',
      resumed: 'optional',
      drill: 'optional',
    },
  },
  rollback_start: {
    when: 'a rollback starts: asked for by a person (`trigger: manual`) or started by a failed deploy (`automatic`)',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', automatic: 'always', trigger: 'always', reason: 'optional', ...INCIDENT_FIELDS, drill: 'optional' },
  },
  rollback_database_decision: {
    when: 'right after `rollback_start` when the environment has a database: what the rollback does to it and why',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', trigger: 'always', mode: 'always', reasons: 'always', backupId: 'optional' },
  },
  rollback_database_skipped: {
    when: 'a rollback was asked for with `--db skip`: the database is left as it is, on the record',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', reasons: 'always' },
  },
  rollback_refused: {
    when: 'a rollback is refused as unsafe (database mode `freeze`): a manual one before any operation exists (with what was `requested`), an automatic one within the failed deploy',
    fields: { env: 'always', operationId: 'optional', from: 'always', to: 'optional', trigger: 'always', mode: 'optional', reasons: 'always', requested: 'optional' },
  },
  rollback_complete: {
    when: 'a rollback ends, succeeded or failed',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', success: 'always', durationMs: 'always', error: 'optional', ...INCIDENT_FIELDS, drill: 'optional' },
  },
  drill_start: {
    when: '`rewind drill` began: a failure drill about to deploy its drill release, or a database drill about to test-restore a backup; `forced` and `forceReason` when it runs on a production environment with --force',
    fields: { env: 'always', drillId: 'always', kind: 'always', failure: 'always', from: 'always', drillVersion: 'always', backupId: 'always', forced: 'always', forceReason: 'always' },
  },
  drill_complete: {
    when: '`rewind drill` ended: `success` is whether the failure was detected and recovered from (or the backup restored and matched); time to detect and to recover from the journal',
    fields: { env: 'always', drillId: 'always', kind: 'always', failure: 'always', success: 'always', ttdMs: 'always', ttrMs: 'always', error: 'optional' },
  },
  incident_opened: {
    when: 'a rollback ended and opened an incident for its environment (none was open), with the severity from the decision matrix',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', incidentId: 'always', severity: 'always', issue: 'always' },
  },
  incident_joined: {
    when: 'a rollback ended and joined the incident still open for its environment; `severity` is the worse of the two',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', incidentId: 'always', severity: 'always', issue: 'always' },
  },
  incident_record_failed: {
    when: 'the incident of a rollback could not be written (the rollback\'s outcome is unchanged)',
    fields: { env: 'always', operationId: 'always', error: 'always' },
  },
  incident_updated: {
    when: '`incident update` changed an incident: each changed field with its new value',
    fields: { env: 'always', incidentId: 'always', changes: 'always' },
  },
  incident_closed: {
    when: '`incident close` closed an incident',
    fields: { env: 'always', incidentId: 'always', resolution: 'always' },
  },
  incident_changelog: {
    when: '`incident changelog` (or `incident close` of an incident with user impact) annotated the CHANGELOG: a line under Unreleased, the rolled-back releases marked [YANKED]',
    fields: { env: 'always', incidentId: 'always', path: 'always', section: 'always', yanked: 'always' },
  },
  flags_off: {
    when: 'a rollback succeeded: the feature flags the rolled-back release declared (`release register --flag`) were turned off in the flag file; `previous` is each one\'s value before',
    fields: { env: 'always', operationId: 'always', version: 'always', flags: 'always', previous: 'always' },
  },
  flags_restored: {
    when: 'a deploy of a release whose flags a rollback turned off (a roll-forward) put them back as they were',
    fields: { env: 'always', operationId: 'always', version: 'always', flags: 'always', restored: 'always' },
  },
  flags_failed: {
    when: 'the feature flags could not be turned off or restored (the operation\'s outcome is unchanged)',
    fields: { env: 'always', operationId: 'always', version: 'always', action: 'always', error: 'always' },
  },
  checklist_ticked: {
    when: '`checklist tick` ticked a rollback checklist item by hand, with a note',
    fields: { env: 'always', operationId: 'always', item: 'always', note: 'always' },
  },
  restore_start: {
    when: '`db restore` holds the lock and its operation is created',
    fields: { env: 'always', operationId: 'always', backupId: 'optional', release: 'always' },
  },
  restore_complete: {
    when: '`db restore` ends, succeeded or failed',
    fields: { env: 'always', operationId: 'always', backupId: 'optional', success: 'always', durationMs: 'always', error: 'optional' },
  },
  down_start: {
    when: '`db down` holds the lock and its operation is created',
    fields: { env: 'always', operationId: 'always', migration: 'always', release: 'always' },
  },
  down_complete: {
    when: '`db down` ends, succeeded or failed',
    fields: { env: 'always', operationId: 'always', backupId: 'optional', success: 'always', durationMs: 'always', error: 'optional' },
  },
  repair_start: {
    when: '`repair` holds the lock and its operation is created, with the problems it `found`',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', reason: 'optional', found: 'always' },
  },
  repair_complete: {
    when: '`repair` ends, succeeded or failed',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', success: 'always', durationMs: 'always', error: 'optional' },
  },
  step_start: {
    when: 'a step of an operation starts, after the journal records it (`attempt` counts runs across resumes)',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', step: 'always', title: 'always', attempt: 'always' },
  },
  step_progress: {
    when: 'a long step says what it is doing (a retry, a smoke request, a dump growing); live views only: `--json` stdout and the human view, never the ledger, the log file or webhooks',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', step: 'always', title: 'always', message: 'always', current: 'optional', total: 'optional' },
  },
  step_complete: {
    when: 'a step of an operation ends, after the journal records its outcome',
    fields: { env: 'always', operationId: 'always', from: 'always', to: 'always', step: 'always', title: 'always', status: 'always', durationMs: 'always', message: 'always' },
  },
  watch_measurement: {
    when: 'each interval of a watch window: the readings, how each was judged, and the run so far',
    fields: { env: 'always', operationId: 'always', version: 'always', seq: 'always', of: 'always', readings: 'always', decision: 'always', phases: 'always' },
  },
  watch_paused: {
    when: 'a watch window or a canary had too little data to judge: the release is left for a human (a canary with `canaryPercent`, all traffic back on `trafficBackOn`)',
    fields: { env: 'always', operationId: 'always', version: 'always', reasons: 'always', canaryPercent: 'optional', trafficBackOn: 'optional' },
  },
  traffic_shifted: {
    when: 'the router was told to send `percent` of new requests to a slot',
    fields: { env: 'always', operationId: 'always', version: 'always', slot: 'always', percent: 'always', weights: 'always', switchMs: 'always' },
  },
  canary_measurement: {
    when: 'each interval of a canary analysis: both sides\' readings and the run so far',
    fields: { env: 'always', operationId: 'always', version: 'always', percent: 'always', seq: 'always', of: 'always', readings: 'always', decision: 'always' },
  },
  app_restarted: {
    when: 'a restore or down that stopped the app failed before the database changed, and the app was started again',
    fields: { env: 'always', operationId: 'always', to: 'always', success: 'always', why: 'always', message: 'always' },
  },
  operation_resumed: {
    when: '`resume` continues an unfinished operation, before its remaining steps',
    fields: { env: 'always', operationId: 'always', kind: 'always', from: 'always', to: 'always' },
  },
  operation_interrupted: {
    when: 'a signal stopped an operation between two steps: where, and what the ledger, the link and the processes name (`closed` when nothing had changed)',
    fields: {
      env: 'always',
      operationId: 'always',
      kind: 'always',
      from: 'always',
      to: 'always',
      signal: 'always',
      after: 'always',
      next: 'always',
      ledger: 'always',
      link: 'always',
      served: 'always',
      closed: 'always',
    },
  },
  operation_abandoned: {
    when: '`resume --abandon` gave up on an unfinished operation: what is `active` and served afterwards',
    fields: { env: 'always', operationId: 'always', kind: 'always', from: 'always', to: 'always', active: 'always', served: 'always', problems: 'always' },
  },
  lock_taken_over: {
    when: 'the environment lock was taken over from a holder whose lock expired or whose process is gone',
    fields: { env: 'always', previousHolder: 'always', previousPid: 'always', previousOperationId: 'always', why: 'always' },
  },
  lock_forced: {
    when: '`unlock --force` removed the lock, whoever held it, with a reason',
    fields: { env: 'always', operationId: 'always', reason: 'always', previousHolder: 'always', previousPid: 'always' },
  },
  notify_retry: {
    when: '`notify retry` put dead notifications of the environment back in the outbox (their ids)',
    fields: { env: 'always', ids: 'always', requeued: 'always' },
  },
  notify_dead: {
    when: 'the outbox gave up on a notification (attempts or age ran out, the receiver refused it, or its destination left the config): which, about which event, and the last error; in the audit log only, never sent to a notifier',
    fields: { env: 'always', operationId: 'always', id: 'always', notifier: 'always', destination: 'always', about: 'always', attempts: 'always', error: 'always' },
  },
  backup_complete: {
    when: 'a database backup (pre-upgrade, safety or manual) was written, verified and recorded; `operationId` when a step of an operation took it',
    fields: {
      env: 'always',
      operationId: 'optional',
      backupId: 'always',
      kind: 'always',
      release: 'always',
      engine: 'always',
      format: 'always',
      path: 'always',
      size: 'always',
      sha256: 'always',
      rowCounts: 'always',
      durationMs: 'always',
    },
  },
  backup_failed: {
    when: 'taking a database backup failed; `operationId` when a step of an operation took it',
    fields: { env: 'always', operationId: 'optional', kind: 'always', release: 'always', engine: 'always', code: 'always', error: 'always' },
  },
  backup_verified: {
    when: '`db verify` checked a recorded backup: its sha256, then that it is readable',
    fields: { env: 'always', backupId: 'always', path: 'always', ok: 'always', reason: 'optional' },
  },
  backup_pruned: {
    when: '`db prune` deleted a backup (one event per backup)',
    fields: { env: 'always', backupId: 'always', kind: 'always', release: 'always', path: 'always', size: 'always', ageDays: 'always' },
  },
  state_snapshot_complete: {
    when: 'a state store snapshot (Redis BGSAVE, the RDB copied with its sha256) was taken before an upgrade',
    fields: { env: 'always', release: 'always', store: 'always', path: 'always', size: 'always', sha256: 'always', version: 'always', aof: 'always', keyCounts: 'always', exactCounts: 'always', durationMs: 'always' },
  },
  state_snapshot_failed: {
    when: 'the state store did not take its snapshot (BGSAVE refused, the background save failed): the deploy stops in its preflight',
    fields: { env: 'always', release: 'always', store: 'always', code: 'always', error: 'always' },
  },
  state_restore_complete: {
    when: 'a rollback put a state store snapshot back; `expired` counts keys whose TTL passed while the snapshot waited',
    fields: { env: 'always', operationId: 'always', release: 'always', store: 'always', path: 'always', keyCounts: 'always', expired: 'always', aofMovedTo: 'always', durationMs: 'always' },
  },
  state_cleanup_complete: {
    when: 'a deploy or rollback deleted state store keys by pattern (SCAN + UNLINK), or flushed the database when configured to',
    fields: { env: 'always', operationId: 'always', store: 'always', deleted: 'always', flushed: 'always' },
  },
  pitr_checked: {
    when: '`db pitr check` checked point-in-time recovery readiness',
    fields: { env: 'always', ok: 'always', failed: 'always' },
  },
  base_backup_complete: {
    when: '`db pitr base-backup` wrote and verified a base backup',
    fields: { env: 'always', path: 'always', size: 'always', sha256: 'always', startTime: 'always', endTime: 'always' },
  },
  pitr_restore_start: {
    when: '`db restore --to-time` starts recovering a base backup into a new data directory',
    fields: { env: 'always', toTime: 'always', baseBackup: 'always', dataDir: 'always' },
  },
  pitr_restore_complete: {
    when: '`db restore --to-time` ends: the recovered server runs on `port` (success), or the `error`',
    fields: {
      env: 'always',
      success: 'always',
      toTime: 'always',
      dataDir: 'optional',
      port: 'optional',
      lastReplayedCommit: 'optional',
      durationMs: 'optional',
      error: 'optional',
    },
  },
  demo_complete: {
    when: '`rewind demo --json` ends (its last stdout line; not sent to the ledger, the log file or webhooks)',
    fields: { success: 'always', servedVersion: 'always', durationMs: 'always' },
  },
};

/** Every event name, in catalog order (the docs test and config checks read it). */
export const EVENT_NAMES = Object.keys(EVENT_CATALOG) as EventName[];

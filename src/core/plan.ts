import type { CommandSpec } from '../ports/executor.js';
import type { CiEvidence } from '../ports/ci-checks.js';
import type { ReleaseState } from '../ports/ledger.js';

export const PLAN_FORMAT_VERSION = 1;

export type StepKind =
  | 'record-running'
  | 'disk-space'
  | 'baseline-health'
  | 'prepare'
  | 'activate'
  | 'health'
  | 'mark-good'
  | 'prune'
  | 'rollback-start'
  | 'rollback-complete'
  | 'db-backup'
  | 'migrations-check'
  | 'migrate'
  | 'db-check-backup'
  | 'stop-app'
  | 'db-restore'
  | 'db-verify'
  | 'drift-check'
  | 'db-down'
  | 'smoke'
  | 'baseline-metrics'
  | 'watch'
  | 'start-slot'
  | 'shift-traffic'
  | 'canary-analysis'
  | 'reconcile'
  | 'record-current'
  | 'state-snapshot'
  | 'state-check'
  | 'state-restore'
  | 'state-cleanup'
  | 'flags-off'
  | 'flags-restore';

/**
 * `preflight` steps change nothing that serves traffic: a failure there leaves the environment as it
 * was. From the first `change` step on, a failure means the world moved and may need a rollback.
 */
export type StepPhase = 'preflight' | 'change' | 'verify' | 'finalize';

export interface PlanStep {
  id: string;
  kind: StepKind;
  phase: StepPhase;
  title: string;
  params: Record<string, unknown>;
  /** Processes the step will run, exactly as they will be run. */
  commands: CommandSpec[];
  /** File-system changes and API calls the step will make. */
  effects: string[];
}

/** Plain, versioned data: printed by --dry-run, stored with the operation, applied by the runner. */
export interface Plan {
  version: typeof PLAN_FORMAT_VERSION;
  kind: 'deploy' | 'rollback' | 'restore' | 'down' | 'repair';
  env: string;
  from: string | null;
  to: string;
  /**
   * Deploys and rollbacks: the state `to` had when the plan was made. Activation alone is no verdict:
   * an operation abandoned before judging `to` gives a release that was good its verdict back.
   */
  toState?: ReleaseState;
  /** Why this plan looks the way it does (LKG choice, skipped checks), for people. */
  notes: string[];
  /** Deploys: the release an automatic rollback returns to if a step after activation fails (null: none). */
  rollbackTo?: string | null;
  /** Rollbacks: whether rewind started it by itself, and why. */
  automatic?: boolean;
  reason?: string;
  /** Rollbacks and restores: what happens to the database, and why (DESIGN.md "Database-aware rollback"). */
  database?: { mode: string; reasons: string[]; backupId?: number };
  /**
   * Deploys of a drill release and rollbacks from one (`rewind drill`): their events carry
   * `drill: true`, so notifiers tell a rehearsal from an incident (docs/drills.md).
   */
  drill?: true;
  /** Deploys and rollbacks of an environment with a `ci:` gate: `to`'s CI, read when the plan was made (docs/ci.md). */
  ci?: CiEvidence;
  steps: PlanStep[];
}

/** `{ drill: true }` for the events of a drill's operation, nothing otherwise (the field is absent, never false). */
export const drillMark = (drill: boolean | undefined): { drill?: true } => (drill ? { drill: true } : {});

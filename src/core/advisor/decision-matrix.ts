import type { AdviceAction, IssueKind, Severity } from './advice.js';

/**
 * The decision rules as data, so one table drives both the advisor and its tests.
 *
 * Time to act follows severity, as seed 004's matrix pairs them: Critical → immediate, High → within
 * 15 min, Medium → within 1 hour, Low → fix forward (so: with the next release). Rows that give no
 * time of their own ("Database corruption", "Failed migration") take their severity's.
 */
export interface IssueRule {
  /** The issue in words, as the rule names it: "an error rate above 5 %". */
  issue: string;
  severity: Severity;
  action: Exclude<AdviceAction, 'monitor'>;
  /** What the rule says to do, in words: "roll back immediately". */
  does: string;
}

// Users never saw the playbooks these rows come from: reasons state the rule itself. The sources stay
// here for developers: the matrix is seed 004's "Rollback Decision Matrix", row for row, in its order.
export const DECISION_MATRIX = {
  'critical-bug-all-users': { issue: 'a critical bug affecting all users', severity: 'critical', action: 'rollback', does: 'roll back immediately' },
  'security-vulnerability': { issue: 'a security vulnerability', severity: 'critical', action: 'rollback', does: 'roll back immediately' },
  'performance-degradation': { issue: 'latency more than 50 % above the baseline', severity: 'high', action: 'rollback', does: 'roll back within 15 min' },
  'database-corruption': { issue: 'database corruption', severity: 'critical', action: 'rollback-and-restore', does: 'roll back and restore the database' },
  'feature-not-working': { issue: 'a feature not working', severity: 'medium', action: 'rollback', does: 'roll back within 1 hour' },
  'minor-ui-bug': { issue: 'a minor (UI) bug', severity: 'low', action: 'fix-forward', does: 'fix forward, do not roll back' },
  'failed-migration': { issue: 'a failed migration', severity: 'high', action: 'rollback-and-restore', does: 'roll back and restore the database' },
} as const satisfies Record<string, IssueRule>;

/**
 * Triggers the matrix has no row for. Seed 002 says "rollback immediately" for an error rate over
 * 5 %, which is the matrix's Critical; a release that failed its deploy checks and still serves is
 * seed 001's first trigger, weighed like the matrix's other High row (performance); an automatic
 * rollback that failed leaves production on a release already judged bad.
 */
export const OTHER_TRIGGERS = {
  'error-rate': { issue: 'an error rate above 5 %', severity: 'critical', action: 'rollback', does: 'roll back immediately' },
  'failed-deploy': { issue: 'a release that failed its checks after deployment and still serves', severity: 'high', action: 'rollback', does: 'roll back' },
  'failed-rollback': { issue: 'an automatic rollback that failed', severity: 'critical', action: 'rollback', does: 'a person rolls back now' },
  // An issue reported only by its reach or its fix ETA: "if unsure, roll back" (seed 003) at the matrix's Medium.
  'unspecified-issue': { issue: 'an issue of unstated kind', severity: 'medium', action: 'rollback', does: 'treat it as a feature not working and roll back within 1 hour (if unsure, roll back)' },
} as const satisfies Record<string, IssueRule>;

export const ISSUE_RULES: Record<IssueKind, IssueRule> = { ...DECISION_MATRIX, ...OTHER_TRIGGERS };

/** Time to act by severity (seed 004's matrix). */
export const ACT_WITHIN: Record<Severity, string> = { critical: 'immediately', high: '15 min', medium: '1 hour', low: 'next release' };

export const THRESHOLDS = {
  /** Seed 002: "Error rate exceeds 5%". A fraction of requests. */
  errorRate: 0.05,
  /** Seeds 002 and 004: "> 50% slower" — latency over baseline. */
  latencyRatio: 1.5,
  /** Seeds 002, 003, 004: a fix more than 30 minutes away means roll back. */
  fixForwardMaxMinutes: 30,
  /** Seed 004 "Fix forward when": "Fix is quick (< 15 minutes)". */
  quickFixMinutes: 15,
  /** Seed 004 "Emergency Rollback (< 5 minutes)": the ceremony when no rollback was measured here yet. */
  codeRollbackMinutes: 5,
  /** Seed 001 "Database Restore: 10-60 minutes": the least a rollback with a restore takes. */
  restoreRollbackMinutes: 10,
} as const;

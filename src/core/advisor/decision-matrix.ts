import type { AdviceAction, IssueKind, Severity } from './advice.js';

/**
 * The seeds' decision rules as data, so one table drives both the advisor and its tests.
 *
 * Time to act follows severity, as seed 004's matrix pairs them: Critical → immediate, High → within
 * 15 min, Medium → within 1 hour, Low → fix forward (so: with the next release). Rows that give no
 * time of their own ("Database corruption", "Failed migration") take their severity's.
 */
export interface IssueRule {
  /** The seed's wording of the issue. */
  issue: string;
  severity: Severity;
  action: Exclude<AdviceAction, 'monitor'>;
  /** The seed's wording of the action. */
  seedAction: string;
  source: string;
}

/** Seed 004 "Rollback Decision Matrix", row for row and in its order. */
export const DECISION_MATRIX = {
  'critical-bug-all-users': { issue: 'Critical bug affecting all users', severity: 'critical', action: 'rollback', seedAction: 'Immediate rollback', source: 'seed 004 matrix' },
  'security-vulnerability': { issue: 'Security vulnerability', severity: 'critical', action: 'rollback', seedAction: 'Immediate rollback', source: 'seed 004 matrix' },
  'performance-degradation': { issue: 'Performance degradation > 50%', severity: 'high', action: 'rollback', seedAction: 'Rollback within 15 min', source: 'seed 004 matrix' },
  'database-corruption': { issue: 'Database corruption', severity: 'critical', action: 'rollback-and-restore', seedAction: 'Rollback + restore DB', source: 'seed 004 matrix' },
  'feature-not-working': { issue: 'Feature not working', severity: 'medium', action: 'rollback', seedAction: 'Rollback within 1 hour', source: 'seed 004 matrix' },
  'minor-ui-bug': { issue: 'Minor UI bug', severity: 'low', action: 'fix-forward', seedAction: "Fix forward, don't rollback", source: 'seed 004 matrix' },
  'failed-migration': { issue: 'Failed migration', severity: 'high', action: 'rollback-and-restore', seedAction: 'Rollback + restore DB', source: 'seed 004 matrix' },
} as const satisfies Record<string, IssueRule>;

/**
 * Triggers the matrix has no row for. Seed 002 says "rollback immediately" for an error rate over
 * 5 %, which is the matrix's Critical; a release that failed its deploy checks and still serves is
 * seed 001's first trigger, weighed like the matrix's other High row (performance); an automatic
 * rollback that failed leaves production on a release already judged bad.
 */
export const OTHER_TRIGGERS = {
  'error-rate': { issue: 'Error rate exceeds 5%', severity: 'critical', action: 'rollback', seedAction: 'Rollback immediately', source: 'seed 002 "When to Rollback"' },
  'failed-deploy': { issue: 'Application fails health checks after deployment', severity: 'high', action: 'rollback', seedAction: 'Consider rolling back', source: 'seed 001 "Rollback Triggers"' },
  'failed-rollback': { issue: 'The automatic rollback failed', severity: 'critical', action: 'rollback', seedAction: 'A human rolls back now', source: 'REWIND_E_ROLLBACK_FAILED' },
  // An issue reported only by its reach or its fix ETA: "if unsure, roll back" (seed 003) at the matrix's Medium.
  'unspecified-issue': { issue: 'An issue of unstated kind', severity: 'medium', action: 'rollback', seedAction: 'treated as "Feature not working": Rollback within 1 hour', source: 'seed 003 "If unsure, roll back"' },
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

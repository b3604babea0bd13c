/**
 * What `rewind advise` answers: roll back, roll back and restore the database, fix forward, or keep
 * watching — with the severity, the time to act, every reason, and the exact command to run.
 * Plain data, so the CLI prints it, `--json` emits it, and tests compare it.
 */

/** Seed 004's severities, worst first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AdviceAction = 'rollback' | 'rollback-and-restore' | 'fix-forward' | 'monitor';

/** The problems the advisor knows, each tied to a rule (see decision-matrix.ts). */
export type IssueKind =
  | 'critical-bug-all-users'
  | 'security-vulnerability'
  | 'performance-degradation'
  | 'database-corruption'
  | 'feature-not-working'
  | 'minor-ui-bug'
  | 'failed-migration'
  | 'error-rate'
  | 'failed-deploy'
  | 'failed-rollback'
  | 'unspecified-issue';

/** One problem the signals show. */
export interface Finding {
  issue: IssueKind;
  severity: Severity;
  /** What the rule says to do about this issue on its own, before the rollback-vs-fix-forward rules. */
  action: Exclude<AdviceAction, 'monitor'>;
  /** The signal that raised it, in words: "error rate 8% is above 5%". */
  evidence: string;
  /** The rule it comes from, in words: `rule: a security vulnerability is Critical: roll back immediately`. */
  rule: string;
}

export interface Advice {
  env: string;
  action: AdviceAction;
  /** The worst severity among the findings; `low` when there are none. */
  severity: Severity;
  /** "immediately", "15 min", "1 hour", "next release", or "no deadline" when there is nothing to do. */
  actWithin: string;
  /** Every reason, in order: the findings, then the rule that decided the action, then the database plan. */
  reasons: string[];
  /** The exact command line to run, for people (arguments quoted for a POSIX shell where needed). */
  command: string;
  /** The same command as an argv array, for scripts. */
  argv: string[];
  /** What to know before or after running it: an untested rollback target, lost writes, follow-ups. */
  caveats: string[];
  findings: Finding[];
}

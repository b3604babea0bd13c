import { SEVERITIES, type IssueKind, type Severity } from '../advisor/advice.js';
import { ISSUE_RULES } from '../advisor/decision-matrix.js';
import type { OperationRecord, StepRecord } from '../../ports/ledger.js';

/** The decision-matrix row a rollback answers, chosen from what the journal shows, and its severity. */
export interface IncidentClass {
  issue: IssueKind;
  severity: Severity;
  /** The rule in words: "a failed migration is High: roll back and restore the database". */
  rule: string;
}

/**
 * Which issue a rollback was for. The same rows as `rewind advise` (seed 004's matrix and the
 * triggers it adds): a rollback that failed leaves production on a release already judged bad
 * (Critical); an automatic one is classed by the deploy step that failed (a migration, the watch's
 * error rate or latency, else a release that failed its checks); a person's rollback without more
 * said is "an issue of unstated kind" (Medium) that `rewind incident update --severity` corrects.
 */
export function classifyRollback(rollback: OperationRecord, succeeded: boolean, parentSteps: StepRecord[]): IncidentClass {
  if (!succeeded) return classOf('failed-rollback');
  if (rollback.parentId === null) return classOf('unspecified-issue');
  const failed = firstFailedStep(parentSteps);
  if (failed?.kind === 'migrate') return classOf('failed-migration');
  if (failed?.kind === 'watch' || failed?.kind === 'canary-analysis') {
    const said = JSON.stringify(failed.detail ?? '').toLowerCase();
    if (said.includes('error_rate') || said.includes('error rate')) return classOf('error-rate');
    if (said.includes('latency')) return classOf('performance-degradation');
  }
  return classOf('failed-deploy');
}

export function classOf(issue: IssueKind): IncidentClass {
  const rule = ISSUE_RULES[issue];
  return { issue, severity: rule.severity, rule: `${rule.issue} is ${capitalized(rule.severity)}: ${rule.does}` };
}

/** The check that failed first: what detected the problem (health, smoke, a measurement, a migration). */
export function firstFailedStep(steps: StepRecord[]): StepRecord | undefined {
  return steps.filter((s) => s.state === 'failed' || s.state === 'error').sort((a, b) => (a.finishedAt ?? a.startedAt) - (b.finishedAt ?? b.startedAt))[0];
}

export function worstSeverity(a: string, b: string): string {
  const rank = (s: string) => (SEVERITIES as readonly string[]).indexOf(s);
  const [ra, rb] = [rank(a), rank(b)];
  if (ra === -1) return b;
  if (rb === -1) return a;
  return ra <= rb ? a : b;
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

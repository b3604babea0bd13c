import type { Finding, IssueKind } from './advice.js';
import type { AdviceSignals } from './advice-signals.js';
import { originNote } from './combine-signals.js';
import { ISSUE_RULES, THRESHOLDS } from './decision-matrix.js';

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** A fraction as a percentage for people: 0.083 → "8.3%". */
export const percent = (fraction: number): string => `${Number((fraction * 100).toFixed(2))}%`;

/** A latency ratio for people: 1.8 → "1.8×". */
export const times = (ratio: number): string => `${ratio}×`;

function finding(issue: IssueKind, evidence: string): Finding {
  const rule = ISSUE_RULES[issue];
  return { issue, severity: rule.severity, action: rule.action, evidence, rule: `rule: ${rule.issue} is ${capitalize(rule.severity)}: ${rule.does}` };
}

/**
 * Every problem the signals show, each mapped to the rule that names it. Pure. No finding means
 * no rollback trigger fired: the advice is to keep watching.
 *
 * A failing health check is the matrix's "Critical bug affecting all users" (seed 002: "Critical
 * functionality is broken"; seed 001: "fails health checks"): the endpoint every user's traffic
 * depends on is down. `--users-affected all` on its own says the same, unless the bug is `--minor`.
 */
export function collectFindings(signals: AdviceSignals): Finding[] {
  const found: Finding[] = [];
  if (signals.dataCorruption) found.push(finding('database-corruption', 'the operator reports data corruption'));

  const deploy = signals.lastDeploy;
  // A preflight failure changed nothing, and a deploy that rolled itself back is already undone.
  if (deploy && deploy.phase !== 'preflight' && deploy.rollback === 'none') {
    if (deploy.migrationFailed) {
      found.push(finding('failed-migration', `the migrations of ${deploy.version} failed${deploy.error ? ` (${deploy.error})` : ''} and nothing rolled them back`));
    } else if (deploy.stillCurrent) {
      found.push(finding('failed-deploy', `the deploy of ${deploy.version} failed at ${deploy.failedStep ?? 'a step'} and ${deploy.version} still serves`));
    }
  }
  if (deploy?.rollback === 'failed') {
    found.push(finding('failed-rollback', `the automatic rollback after the failed deploy of ${deploy.version}${deploy.rolledBackTo ? ` (to ${deploy.rolledBackTo})` : ''} did not complete`));
  }

  if (signals.security) found.push(finding('security-vulnerability', 'the operator reports a security vulnerability'));
  if (signals.health.status === 'failing') found.push(finding('critical-bug-all-users', `the health check fails: ${signals.health.message}`));
  if (signals.usersAffected === 'all' && !signals.minor) found.push(finding('critical-bug-all-users', 'the operator reports that all users are affected'));
  if (signals.errorRate !== undefined && signals.errorRate > THRESHOLDS.errorRate) {
    found.push(finding('error-rate', `error rate ${percent(signals.errorRate)} is above ${percent(THRESHOLDS.errorRate)}${originNote(signals.origins?.errorRate, percent)}`));
  }
  if (signals.latencyRatio !== undefined && signals.latencyRatio > THRESHOLDS.latencyRatio) {
    const note = originNote(signals.origins?.latencyRatio, times);
    found.push(finding('performance-degradation', `latency is ${times(signals.latencyRatio)} the baseline (${percent(signals.latencyRatio - 1)} slower, over ${percent(THRESHOLDS.latencyRatio - 1)})${note}`));
  }
  if (signals.featureBroken) found.push(finding('feature-not-working', 'the operator reports a feature not working'));
  if (signals.minor) found.push(finding('minor-ui-bug', 'the operator reports a minor bug'));

  // A reach or a fix ETA implies an issue even when its kind was not given.
  if (found.length === 0 && (signals.usersAffected !== undefined || signals.fixEtaMinutes !== undefined)) {
    const said = [signals.usersAffected && `${signals.usersAffected} users affected`, signals.fixEtaMinutes !== undefined && `a fix ETA of ${signals.fixEtaMinutes} min`].filter(Boolean).join(', ');
    found.push(finding('unspecified-issue', `an issue was reported (${said}) without its kind`));
  }
  return found;
}

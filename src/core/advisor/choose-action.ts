import type { Finding, Severity } from './advice.js';
import type { AdviceSignals } from './advice-signals.js';
import { THRESHOLDS } from './decision-matrix.js';

export interface ActionChoice {
  action: 'rollback' | 'rollback-and-restore' | 'fix-forward';
  /** The rule that decided, quoted, for the reasons. */
  rule: string;
}

/** The rollback ceremony in minutes, for seed 003's "a hotfix faster than the rollback ceremony". */
export function rollbackMinutes(signals: AdviceSignals): { minutes: number; basis: string } {
  const measured = signals.lastRollbackMs !== undefined ? Math.max(1, Math.ceil(signals.lastRollbackMs / 60_000)) : undefined;
  if (signals.database?.rollback?.mode === 'restore') {
    const minutes = Math.max(THRESHOLDS.restoreRollbackMinutes, measured ?? 0);
    return { minutes, basis: `a rollback with a database restore takes ${minutes} min or more (a restore takes 10–60 min)` };
  }
  if (measured !== undefined) return { minutes: measured, basis: `the last rollback of ${signals.env} took under ${measured} min` };
  return { minutes: THRESHOLDS.codeRollbackMinutes, basis: `a code rollback takes about ${THRESHOLDS.codeRollbackMinutes} min (no rollback of this environment was timed yet)` };
}

/**
 * Rollback or fix forward, from the findings and the operator's answers. Pure. In order:
 *  1. data integrity at risk (corruption, a failed migration) → roll back and restore, whatever the
 *     fix ETA (seed 004 "Rollback when: data integrity is at risk");
 *  2. Critical → roll back now: no fix forward beats an immediate rollback (seed 004 matrix);
 *  3. Low (a minor bug) → fix forward, even when the fix is slow (seed 004: "don't rollback");
 *  4. Medium/High with a fix more than 30 min away → roll back (seeds 002, 003, 004);
 *  5. Medium/High → fix forward only when the root cause is known and either the fix is quick
 *     (< 15 min) and few users are affected (seed 004 "Fix forward when"), or the hotfix ships
 *     within 30 min and faster than the rollback ceremony (seed 003 "Roll-forward when");
 *  6. otherwise roll back: "If unsure, roll back" (seed 003).
 */
export function chooseAction(signals: AdviceSignals, findings: Finding[], severity: Severity): ActionChoice {
  if (findings.some((f) => f.action === 'rollback-and-restore')) {
    return { action: 'rollback-and-restore', rule: 'rule: when data integrity is at risk, roll back and restore the database, whatever the fix ETA' };
  }
  if (severity === 'critical') {
    return { action: 'rollback', rule: 'rule: a Critical issue is rolled back immediately; no fix forward is faster' };
  }
  if (severity === 'low') {
    return { action: 'fix-forward', rule: 'rule: a minor bug is fixed forward, not rolled back, however long the fix takes' };
  }
  const eta = signals.fixEtaMinutes;
  if (eta !== undefined && eta > THRESHOLDS.fixForwardMaxMinutes) {
    return { action: 'rollback', rule: `the fix is ${eta} min away — rule: when a fix will take more than 30 min, roll back` };
  }
  const known = signals.rootCauseKnown === true;
  if (known && eta !== undefined && eta < THRESHOLDS.quickFixMinutes && signals.usersAffected === 'few') {
    return { action: 'fix-forward', rule: `the root cause is known, the fix takes ${eta} min and few users are affected — rule: fix forward when the cause is known, the fix takes under 15 min and few users are affected` };
  }
  const ceremony = rollbackMinutes(signals);
  if (known && eta !== undefined && eta < THRESHOLDS.fixForwardMaxMinutes && eta < ceremony.minutes) {
    return { action: 'fix-forward', rule: `the root cause is known and the hotfix (${eta} min) ships faster than the rollback — ${ceremony.basis} — rule: roll forward when a known fix ships within 30 min and faster than a rollback` };
  }
  const unsure: string[] = [];
  if (!known) unsure.push('the root cause is not known (--root-cause-known)');
  if (eta === undefined) unsure.push('there is no fix ETA (--fix-eta)');
  else if (known) {
    unsure.push(`a ${eta} min fix is not faster than the rollback — ${ceremony.basis} —`);
    if (eta >= THRESHOLDS.quickFixMinutes) unsure.push(`nor quick (< 15 min)`);
    else if (signals.usersAffected !== 'few') unsure.push(`and ${signals.usersAffected ? `${signals.usersAffected} users are` : 'not only few users are known to be'} affected`);
  }
  return { action: 'rollback', rule: `rule: if unsure, roll back: ${unsure.join(', ')}` };
}

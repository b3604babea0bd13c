import type { CiCheck } from '../../ports/ci-checks.js';
import type { CiResult } from '../../ports/ledger.js';

/** Conclusions that count as passed (GitHub's own branch protection treats these three the same way). */
export const PASSING_CONCLUSIONS: readonly string[] = ['success', 'neutral', 'skipped'];

export interface CiVerdict {
  /** passed: every counted check completed and passed; failed: one completed otherwise; unknown: none failed, some pending or missing. */
  verdict: CiResult;
  /** One line for people: what counted and what did not. */
  summary: string;
  /** The checks that decided it: the newest run of each name (a re-run supersedes the run before). */
  counted: CiCheck[];
  /** Required checks that have not reported at all. */
  missing: string[];
}

const passed = (c: CiCheck) => c.status === 'completed' && c.conclusion !== null && PASSING_CONCLUSIONS.includes(c.conclusion);
const failedCheck = (c: CiCheck) => c.status === 'completed' && !passed(c);

/** The newest check of each name and kind: a re-run gets a higher id than the run it replaces. */
export function latestChecks(checks: readonly CiCheck[]): CiCheck[] {
  const latest = new Map<string, CiCheck>();
  for (const check of checks) {
    const key = `${check.kind}:${check.name}`;
    const seen = latest.get(key);
    if (!seen || check.id > seen.id) latest.set(key, check);
  }
  return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind));
}

/**
 * Whether a commit passed CI. With `required` only those names count (check runs or status contexts),
 * and one that has not reported is pending; without it every check counts, and a commit nothing has
 * reported on is unknown. A failure wins over anything pending: pending never passes.
 */
export function ciVerdict(checks: readonly CiCheck[], required?: readonly string[]): CiVerdict {
  const latest = latestChecks(checks);
  const counted = required?.length ? latest.filter((c) => required.includes(c.name)) : latest;
  const missing = required?.length ? [...new Set(required)].filter((name) => !counted.some((c) => c.name === name)).sort() : [];
  const failing = counted.filter(failedCheck);
  const pending = counted.filter((c) => c.status !== 'completed');
  const of = required?.length ? `${counted.length + missing.length} required` : `${counted.length}`;
  const names = (list: CiCheck[]) => list.map((c) => `${c.name} (${c.conclusion ?? c.status})`).join(', ');
  if (failing.length) return { verdict: 'failed', summary: `${failing.length} of ${of} checks failed: ${names(failing)}`, counted, missing };
  if (counted.length === 0 && missing.length === 0) return { verdict: 'unknown', summary: 'no checks have reported on this commit', counted, missing };
  if (pending.length || missing.length) {
    const parts = [...(pending.length ? [`pending: ${names(pending)}`] : []), ...(missing.length ? [`not reported: ${missing.join(', ')}`] : [])];
    return { verdict: 'unknown', summary: `${of} checks not all finished (${parts.join('; ')})`, counted, missing };
  }
  return { verdict: 'passed', summary: `all ${of} checks passed: ${counted.map((c) => c.name).join(', ')}`, counted, missing };
}

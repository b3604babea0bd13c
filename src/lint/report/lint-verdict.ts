import type { LintFinding, LintVerdict, SuppressedFinding } from '../lint-types.js';
import { ruleSpec } from '../rule-catalog.js';

/**
 * The answer the rollback planner needs from a set of migrations: can the previous release run
 * against the schema they produce (additive: roll back the code, leave the schema), or not
 * (breaking: roll forward, or restore the pre-upgrade backup)? The linter fails closed: SQL it
 * could not check counts as breaking until a person reviews it and suppresses the finding with a
 * reason. Locking findings do not change the verdict (they hurt during the upgrade, not after).
 */
export function decideVerdict(findings: readonly LintFinding[], suppressed: readonly SuppressedFinding[], counts: { files: number; statements: number }): { verdict: LintVerdict; reasons: string[] } {
  const blocking = findings.filter((f) => f.class === 'breaking' || f.class === 'unchecked');
  const lossy = findings.filter((f) => f.class === 'irreversible');
  const reasons: string[] = [];
  if (blocking.length > MAX_LISTED) reasons.push(...grouped(blocking));
  else if (blocking.length > 0) {
    for (const f of blocking) {
      const why = f.class === 'unchecked' ? 'could not be checked, so it is treated as breaking' : 'the previous release fails against the new schema';
      reasons.push(`${where(f)} ${f.code} ${ruleSpec(f.code).title}: ${f.message} (${why})`);
    }
  } else {
    reasons.push(
      `no unsuppressed breaking change in ${counts.files} file(s), ${counts.statements} statement(s): the previous release can run against the new schema, so a code-only rollback is safe`,
    );
  }
  if (lossy.length > MAX_LISTED) reasons.push(...grouped(lossy).map((r) => `${r} — reverting these needs the pre-upgrade backup, not a down migration`));
  else for (const f of lossy) reasons.push(`${where(f)} ${f.code}: ${f.message} — reverting this needs the pre-upgrade backup, not a down migration`);
  for (const f of suppressed.filter((s) => s.class === 'breaking' || s.class === 'unchecked')) {
    reasons.push(`${where(f)} ${f.code} suppressed (${JSON.stringify(f.reason)}): ${f.message}`);
  }
  return { verdict: blocking.length > 0 ? 'breaking' : 'additive', reasons };
}

const where = (f: LintFinding): string => `${f.file}:${f.line}`;

/** Past this many, reasons are one line per rule code (count and first locations): a reason list is read by people. */
const MAX_LISTED = 20;

function grouped(findings: readonly LintFinding[]): string[] {
  const byCode = new Map<string, LintFinding[]>();
  for (const f of findings) {
    const list = byCode.get(f.code);
    if (list) list.push(f);
    else byCode.set(f.code, [f]);
  }
  return [...byCode.entries()].map(([code, list]) => {
    const first = list.slice(0, 3).map(where).join(', ');
    return `${code} ${ruleSpec(list[0]!.code).title} ×${list.length}: ${first}${list.length > 3 ? ', …' : ''}`;
  });
}

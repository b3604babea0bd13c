import type { LocatedHit } from './file-lint-output.js';
import type { LintFinding } from './lint-types.js';
import { ruleSpec } from './rule-catalog.js';

/** A rule hit placed in a file becomes a finding; class, severity and the safe alternative come from the catalog, never from the rule. */
export function toFinding(hit: Pick<LocatedHit, 'code' | 'message' | 'line' | 'column' | 'statement'>, file: string): LintFinding {
  const spec = ruleSpec(hit.code);
  const finding: LintFinding = {
    code: hit.code,
    class: spec.class,
    severity: spec.severity,
    message: hit.message,
    statement: hit.statement,
    file,
    line: hit.line,
    safeAlternative: spec.alternative,
  };
  if (hit.column !== undefined) finding.column = hit.column;
  return finding;
}


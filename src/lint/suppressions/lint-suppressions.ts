import type { FileLintOutput, LocatedHit } from '../file-lint-output.js';
import { toFinding } from '../lint-finding-factory.js';
import type { LintFinding, SuppressedFinding } from '../lint-types.js';
import { isRuleCode } from '../rule-catalog.js';
import { candidateStatements } from './suppression-attach.js';
import { parseSuppressionDirective } from './suppression-directive.js';

/**
 * Applies `rewind:ignore` comments to one file's hits. A directive silences only the codes it
 * names, only on the statement it is attached to, and only with a reason. Directives that are
 * malformed (RW003) or silence nothing (RW005) are findings themselves, so a typo in a code can
 * never quietly turn a check off. Suppressed findings are returned too, with their reason, for the
 * audit trail and SARIF.
 */
export function applySuppressions(output: FileLintOutput, file: string): { findings: LintFinding[]; suppressed: SuppressedFinding[] } {
  const silenced = new Map<LocatedHit, string>();
  const problems: LintFinding[] = [];

  output.comments.forEach((comment, index) => {
    const directive = parseSuppressionDirective(comment.text);
    if (!directive) return;
    const at = { line: comment.startLine, statement: comment.text.trim() };
    if (directive.codes.length === 0 || directive.reason === '') {
      const missing = directive.codes.length === 0 ? 'rule code (RW…)' : 'reason';
      problems.push(toFinding({ ...at, code: 'RW003', message: `this rewind:ignore has no ${missing}, so it suppresses nothing; write \`-- rewind:ignore RW123 <why this is safe>\`` }, file));
      return;
    }
    const candidates = candidateStatements(output.spans, output.comments, index);
    for (const code of directive.codes) {
      if (!isRuleCode(code)) {
        problems.push(toFinding({ ...at, code: 'RW005', message: `rewind:ignore names ${code}, which is not a rule code (see \`rewind lint --help\`)` }, file));
        continue;
      }
      const target = candidates.find((statementIndex) => output.hits.some((h) => h.statementIndex === statementIndex && h.code === code));
      if (target === undefined) {
        const where = candidates.length === 0 ? 'it is not on or just above a statement' : 'the statement it is attached to has no such finding';
        problems.push(toFinding({ ...at, code: 'RW005', message: `rewind:ignore ${code} suppresses nothing: ${where}` }, file));
        continue;
      }
      for (const hit of output.hits) if (hit.statementIndex === target && hit.code === code) silenced.set(hit, directive.reason);
    }
  });

  const findings: LintFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const hit of output.hits) {
    const reason = silenced.get(hit);
    if (reason === undefined) findings.push(toFinding(hit, file));
    else suppressed.push({ ...toFinding(hit, file), reason });
  }
  findings.push(...problems);
  findings.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  return { findings, suppressed };
}

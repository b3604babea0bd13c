import { failingFindings } from './lint-exit-policy.js';
import type { LintFinding, LintResult, RuleClass } from '../lint-types.js';
import { RULE_CLASSES } from '../lint-types.js';

/**
 * The human report: findings grouped by file, each with its location, code, class, message, the
 * statement (one line) and the safe alternative; then counts, the rollback verdict and any caveats.
 */
export function renderLintText(result: LintResult): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const f of result.findings) {
    if (f.file !== file) {
      if (file !== undefined) lines.push('');
      file = f.file;
      lines.push(file);
    }
    lines.push(...findingLines(f));
  }
  if (result.suppressed.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push('suppressed:');
    for (const s of result.suppressed) lines.push(`  ${s.file}:${s.line}  ${s.code} ${s.class}  — ${s.reason}`);
  }
  if (lines.length > 0) lines.push('');
  lines.push(summary(result));
  lines.push(`verdict: ${result.verdict} — ${result.verdict === 'additive' ? 'the previous release can run against the new schema (code-only rollback is safe)' : 'the previous release cannot run against the new schema (roll forward, or restore the pre-upgrade backup)'}`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function findingLines(f: LintFinding): string[] {
  const where = `${f.line}${f.column !== undefined ? `:${f.column}` : ''}`;
  return [
    `  ${where.padEnd(7)} ${f.severity.padEnd(7)} ${f.code} ${f.class.padEnd(12)} ${f.message}`,
    `          ${oneLine(f.statement)}`,
    `          safe alternative: ${f.safeAlternative}`,
  ];
}

function summary(result: LintResult): string {
  const byClass = new Map<RuleClass, number>();
  for (const f of result.findings) byClass.set(f.class, (byClass.get(f.class) ?? 0) + 1);
  const parts = RULE_CLASSES.filter((c) => byClass.has(c)).map((c) => `${byClass.get(c)} ${c}`);
  const failing = failingFindings(result.findings).length;
  const counts = result.findings.length === 0 ? 'no findings' : `${result.findings.length} finding(s) (${parts.join(', ')})`;
  return `${result.statements} statement(s) in ${result.files} file(s): ${counts}${result.suppressed.length > 0 ? `, ${result.suppressed.length} suppressed` : ''}${failing > 0 ? `; ${failing} fail the check` : ''}`;
}

/** Statements are shown on one line, shortened: the file:line says where the whole of it is. */
function oneLine(statement: string): string {
  const flat = statement.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

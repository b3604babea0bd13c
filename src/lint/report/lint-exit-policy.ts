import type { LintFinding, RuleClass } from '../lint-types.js';

/**
 * Which findings fail a CI run. Breaking and locking findings are what the lint is for; unchecked
 * SQL and invalid files or annotations fail too, because passing them would mean passing SQL
 * nobody checked. Irreversible findings alone do not fail: losing data on purpose (a column already
 * unused for months) is a legitimate migration, and the finding says what a rollback would need.
 */
export const FAILING_CLASSES: ReadonlySet<RuleClass> = new Set<RuleClass>(['breaking', 'locking', 'unchecked', 'invalid']);

export const failingFindings = (findings: readonly LintFinding[]): LintFinding[] => findings.filter((f) => FAILING_CLASSES.has(f.class));

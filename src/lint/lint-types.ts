/**
 * The vocabulary of the migration lint, shared by the engines, the renderers, the CLI and the
 * rollback planner. Kept free of any parser type so the planner can import it without loading
 * a SQL parser.
 */

/** Which SQL dialect the files are written in; only PostgreSQL gets the real server parser. */
export type LintEngine = 'postgres' | 'mysql' | 'sqlite';
export const LINT_ENGINES: readonly LintEngine[] = ['postgres', 'mysql', 'sqlite'];

/**
 * Why a finding matters.
 * - breaking: the previous release's code fails against the new schema, so a code-only rollback is unsafe.
 * - locking: the statement holds a strong lock or rewrites a table while traffic waits.
 * - irreversible: a down migration cannot bring the data back; only a backup can.
 * - unchecked: the linter could not see what the SQL does (parse error, dynamic SQL); treated as breaking.
 * - invalid: the migration or its annotations are wrong as written (will fail to run, suppression without reason).
 */
export type RuleClass = 'breaking' | 'locking' | 'irreversible' | 'unchecked' | 'invalid';
export const RULE_CLASSES: readonly RuleClass[] = ['breaking', 'locking', 'irreversible', 'unchecked', 'invalid'];

export type Severity = 'error' | 'warning' | 'note';

/** Stable rule codes: RW0xx the linter itself, RW1xx breaking, RW2xx locking, RW3xx irreversible. */
export type RuleCode = `RW${number}`;

/** One migration file as text; reading it is the caller's business. */
export interface MigrationSource {
  path: string;
  sql: string;
}

export interface LintFinding {
  code: RuleCode;
  class: RuleClass;
  severity: Severity;
  /** What this statement does wrong, naming the objects it touches. */
  message: string;
  /** The statement, trimmed (for nested DO-block statements: the nested statement). */
  statement: string;
  file: string;
  /** 1-based line of the statement (or comment) in the file. */
  line: number;
  /** 1-based column in characters, when known. */
  column?: number;
  /** The expand/contract way to get the same result without the risk. */
  safeAlternative: string;
}

export interface SuppressedFinding extends LintFinding {
  /** The reason written in the `rewind:ignore` comment. */
  reason: string;
}

export type LintVerdict = 'additive' | 'breaking';

export interface LintResult {
  /** Unsuppressed findings, in file order then line order. */
  findings: LintFinding[];
  /** Findings silenced by a `rewind:ignore <code> <reason>` comment, kept for the audit trail. */
  suppressed: SuppressedFinding[];
  /** additive: the previous release can run against the new schema (code-only rollback is safe). */
  verdict: LintVerdict;
  /** One sentence per fact behind the verdict, with file:line. */
  reasons: string[];
  /** Caveats about coverage, such as a best-effort parser. */
  notes: string[];
  engine: LintEngine;
  files: number;
  statements: number;
}

export interface LintOptions {
  engine?: LintEngine;
}

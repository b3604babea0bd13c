import { applySuppressions } from '../suppressions/lint-suppressions.js';
import type { LintEngine, LintFinding, LintOptions, LintResult, MigrationSource, SuppressedFinding } from '../lint-types.js';
import { decideVerdict } from '../report/lint-verdict.js';
import { LINT_DIALECTS } from './lint-dialects.js';

/**
 * The migration lint as a function: SQL text in, findings and a rollback verdict out. No file
 * system, no network, no clock: the CLI reads the files, the rollback planner passes the
 * migrations of a release, and both get the same answer for the same text.
 *
 * The only asynchronous part is loading the parser (WebAssembly for PostgreSQL), so there are two
 * doors: `lintMigrations` (async, loads what it needs) and `lintMigrationsSync` after
 * `prepareLinter(engine)` for callers that must stay synchronous.
 */
// compiled: the parser as another thread compiled it (see LintDialect.compiledParser).
export async function prepareLinter(engine: LintEngine = 'postgres', compiled?: Promise<WebAssembly.Module>): Promise<void> {
  await LINT_DIALECTS[engine].prepare(compiled);
}

export async function lintMigrations(files: readonly MigrationSource[], options: LintOptions = {}): Promise<LintResult> {
  await prepareLinter(options.engine ?? 'postgres');
  return lintMigrationsSync(files, options);
}

export function lintMigrationsSync(files: readonly MigrationSource[], options: LintOptions = {}): LintResult {
  const engine = options.engine ?? 'postgres';
  return combineLintParts([lintFileBatch(files, engine)], engine, files.length);
}

/** Findings of some files, before the verdict: the unit of work a CLI worker thread hands back. */
export interface LintPart {
  findings: LintFinding[];
  suppressed: SuppressedFinding[];
  statements: number;
}

/** Lints files independently of each other (a file's scope never leaks into the next), so batches can run anywhere. */
export function lintFileBatch(files: readonly MigrationSource[], engine: LintEngine): LintPart {
  const part: LintPart = { findings: [], suppressed: [], statements: 0 };
  const { lintFile } = LINT_DIALECTS[engine];
  for (const file of files) {
    // A UTF-8 byte order mark is invisible in editors and not SQL: drop it so line 1 columns match what people see.
    const sql = file.sql.charCodeAt(0) === 0xfeff ? file.sql.slice(1) : file.sql;
    const output = lintFile(sql);
    part.statements += output.statements;
    const applied = applySuppressions(output, file.path);
    part.findings.push(...applied.findings);
    part.suppressed.push(...applied.suppressed);
  }
  return part;
}

/** Joins parts (in file order) and decides the verdict over all of them. */
export function combineLintParts(parts: readonly LintPart[], engine: LintEngine, files: number): LintResult {
  const findings = parts.flatMap((p) => p.findings);
  const suppressed = parts.flatMap((p) => p.suppressed);
  const statements = parts.reduce((sum, p) => sum + p.statements, 0);
  const { verdict, reasons } = decideVerdict(findings, suppressed, { files, statements });
  return { findings, suppressed, verdict, reasons, notes: [...LINT_DIALECTS[engine].notes], engine, files, statements };
}

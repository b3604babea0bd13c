import type { FileLintOutput } from '../file-lint-output.js';
import { applySuppressions } from '../suppressions/lint-suppressions.js';
import type { LintEngine, LintFinding, LintOptions, LintResult, MigrationSource, SuppressedFinding } from '../lint-types.js';
import { decideVerdict } from '../report/lint-verdict.js';
import { lintPgFile } from '../postgres/pg-file-linter.js';
import { loadPgParser } from '../postgres/pg-parser-module.js';
import { lintSqlishFile } from '../sqlish/sqlish-file-linter.js';
import { loadSqlishParser } from '../sqlish/sqlish-parser-module.js';

/**
 * The migration lint as a function: SQL text in, findings and a rollback verdict out. No file
 * system, no network, no clock: the CLI reads the files, the rollback planner passes the
 * migrations of a release, and both get the same answer for the same text.
 *
 * The only asynchronous part is loading the parser (WebAssembly for PostgreSQL), so there are two
 * doors: `lintMigrations` (async, loads what it needs) and `lintMigrationsSync` after
 * `prepareLinter(engine)` for callers that must stay synchronous.
 */
// pgModule: PostgreSQL's parser as another thread compiled it (see pgParserModule).
export async function prepareLinter(engine: LintEngine = 'postgres', pgModule?: Promise<WebAssembly.Module>): Promise<void> {
  if (engine === 'postgres') await loadPgParser(pgModule);
  else await loadSqlishParser(engine);
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
  for (const file of files) {
    // A UTF-8 byte order mark is invisible in editors and not SQL: drop it so line 1 columns match what people see.
    const sql = file.sql.charCodeAt(0) === 0xfeff ? file.sql.slice(1) : file.sql;
    const output: FileLintOutput = engine === 'postgres' ? lintPgFile(sql) : lintSqlishFile(sql, engine);
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
  return { findings, suppressed, verdict, reasons, notes: engineNotes(engine), engine, files, statements };
}

function engineNotes(engine: LintEngine): string[] {
  if (engine === 'postgres') return [];
  return [
    `${engine}: best-effort parser (node-sql-parser), not the server's own grammar: drops, renames, type changes, NOT NULL columns without default and DELETE/UPDATE without WHERE are checked; locking rules are PostgreSQL-only; statements the parser cannot read are RW001 findings`,
  ];
}

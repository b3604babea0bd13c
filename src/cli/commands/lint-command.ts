import { writeLine, type CliIo } from '../cli-io.js';
import { findSqlFiles } from '../../lint/run/lint-file-walker.js';
import { lintFiles } from '../../lint/run/lint-parallel.js';
import { parseCommandArgs } from '../parse-args.js';
import { ERROR_REGISTRY } from '../../errors/error-registry.js';
import { RewindError } from '../../errors/rewind-error.js';
import { failingFindings } from '../../lint/report/lint-exit-policy.js';
import { writeJsonInSlices } from '../../util/json-slices.js';
import { packageVersion } from '../../util/package-root.js';
import { LINT_ENGINES, RULE_CLASSES, type LintEngine } from '../../lint/lint-types.js';
import { renderLintSarif } from '../../lint/report/lint-sarif-renderer.js';
import { renderLintText } from '../../lint/report/lint-text-renderer.js';
import { RULES } from '../../lint/rule-catalog.js';

/**
 * `rewind lint`: the migration safety check, usable alone in CI (it needs no rewind.yaml and no
 * database). It reads the files, hands their text to the pure linter, prints the report in the
 * requested format, and exits non-zero (REWIND_E_LINT_FINDINGS) when a finding fails the check.
 */
const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

export const usage = 'rewind lint <dir|file.sql…> [--format text|json|sarif] [--engine postgres|mysql|sqlite]';

const CLASS_HELP: Record<string, string> = {
  breaking: 'the previous release fails against the new schema: a code-only rollback is unsafe',
  locking: 'a strong lock or a table rewrite while traffic waits',
  irreversible: 'a down migration cannot bring the data back (reported; does not fail the run)',
  unchecked: 'SQL the linter could not see into (parse error, dynamic SQL); treated as breaking',
  invalid: 'the file or an annotation is wrong as written (e.g. CONCURRENTLY inside BEGIN)',
};

export const help = `${usage}

Check migration SQL before it ships: will the previous release still work against the new schema
(so a rollback can be code-only)? Will the migration hold locks or rewrite tables under traffic?
Will reverting it need a backup because data is gone? PostgreSQL files are read with PostgreSQL's
own parser (libpg-query), so comments and strings that merely look like DDL never count;
statements inside DO blocks are checked too. MySQL and SQLite use a best-effort parser.

A directory is searched for *.sql at any depth (flat files or Prisma's <name>/migration.sql),
sorted by path. No rewind.yaml is needed.

Options:
  --format text|json|sarif       report format (default text; --json is --format json);
                                 sarif is SARIF 2.1.0 for GitHub code scanning
  --engine postgres|mysql|sqlite SQL dialect (default postgres)

From 1 MiB of SQL the files are linted on every core; REWIND_LINT_THREADS=N sets the thread count
(1: never; N ≥ 2: up to N whatever the size).

Classes:
${RULE_CLASSES.map((c) => `  ${c.padEnd(13)}${CLASS_HELP[c]}`).join('\n')}

Rules:
${RULES.map((r) => `  ${r.code}  ${r.class.padEnd(12)} ${r.title}`).join('\n')}

Suppressing a reviewed finding: a comment on the line before the statement (or on its line)
naming the code(s) and the reason; without a reason it suppresses nothing (RW003):
  -- rewind:ignore RW102 column unused since 2.3; archived by ops/archive-legacy.sql
  ALTER TABLE users DROP COLUMN legacy;

Exit codes: 0 no breaking, locking, unchecked or invalid finding (irreversible findings alone pass);
${ERROR_REGISTRY.REWIND_E_LINT_FINDINGS.exitCode} (REWIND_E_LINT_FINDINGS) findings that fail the check; 2 bad arguments or no files.
Every rule, with what it catches and its safe alternative: docs/lint.md.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { format: { type: 'string' }, engine: { type: 'string' } }, { min: 0, max: Number.POSITIVE_INFINITY, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  if (args.positionals.length === 0) throw new RewindError('REWIND_E_USAGE', `name a directory or at least one .sql file — usage: ${usage}`);
  const format = oneOf<Format>('--format', args.string('format') ?? (args.flag('json') ? 'json' : 'text'), FORMATS);
  const engine = oneOf<LintEngine>('--engine', args.string('engine') ?? 'postgres', LINT_ENGINES);

  const files = findSqlFiles(args.positionals, process.cwd());
  const threads = Number(io.env.REWIND_LINT_THREADS);
  // Reads the files (while the parser loads) and lints them, on several threads for big inputs;
  // this process exits after one run, so it may change V8's flags for the parser (see lintFiles).
  const result = await lintFiles(files, engine, { threads: Number.isInteger(threads) && threads > 0 ? threads : undefined, tuneV8ForOneRun: true });

  if (format === 'json') {
    // The same bytes as JSON.stringify(result), written a slice of findings at a time (see json-slices).
    writeJsonInSlices((chunk) => io.stdout.write(chunk), result);
    io.stdout.write('\n');
  } else if (format === 'sarif') io.stdout.write(renderLintSarif(result, { toolVersion: packageVersion() }));
  else io.stdout.write(renderLintText(result));

  const failing = failingFindings(result.findings);
  if (failing.length === 0) return 0;
  // Reported here rather than thrown: stdout already holds the report, and must stay one document.
  const code = 'REWIND_E_LINT_FINDINGS';
  const classes = RULE_CLASSES.filter((c) => failing.some((f) => f.class === c)).join(', ');
  writeLine(io.stderr, `error ${code}: ${failing.length} finding(s) fail the check (${classes})\n  hint: ${ERROR_REGISTRY[code].hint}`);
  return ERROR_REGISTRY[code].exitCode;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new RewindError('REWIND_E_USAGE', `${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
}


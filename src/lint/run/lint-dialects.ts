import type { FileLintOutput } from '../file-lint-output.js';
import type { LintEngine } from '../lint-types.js';
import { lintPgFile } from '../postgres/pg-file-linter.js';
import { loadPgParser, pgParserModule } from '../postgres/pg-parser-module.js';
import { lintSqlishFile } from '../sqlish/sqlish-file-linter.js';
import { loadSqlishParser } from '../sqlish/sqlish-parser-module.js';
import type { SqlishDialect } from '../sqlish/sqlish-statement-scanner.js';

/**
 * Every SQL dialect the lint knows, one record each: how its parser loads, how it lints one file,
 * what the report says about its coverage, and what a run on several threads can share. The run
 * looks the engine up here instead of branching on its name, so a dialect is its folder and one
 * entry below. Importing this loads no parser (each `prepare` does, once per thread).
 */
export interface LintDialect {
  /** Loads the parser; `compiled` is the parser another thread compiled (dialects with `compiledParser`). */
  prepare(compiled?: Promise<WebAssembly.Module>): Promise<unknown>;
  /** Lints one file's text; `prepare` must have finished. */
  lintFile(sql: string): FileLintOutput;
  /** Caveats about coverage, reported with every result. */
  notes: readonly string[];
  /** The parser as compiled WebAssembly, which a `rewind lint` worker thread is handed rather than compile its own. */
  compiledParser?: () => Promise<WebAssembly.Module>;
  /** V8 flags for a process that lints once and exits, set before the parser compiles (see LintFilesOptions.tuneV8ForOneRun). */
  oneRunV8Flags?: string;
}

const postgres: LintDialect = {
  prepare: (compiled) => loadPgParser(compiled),
  lintFile: lintPgFile,
  notes: [],
  compiledParser: pgParserModule,
  // - `--liftoff-only`: the parser's 1.7 MB of WebAssembly on V8's baseline compiler only. By
  //   default V8 also recompiles the hot parts with its optimising tier in the background, which
  //   costs more CPU than a lint run ever wins back (measured: about 35% less CPU for 20,000
  //   statements, and no loss at 200,000).
  // - `--semi-space-growth-factor=1`: the young generation keeps the size it has (~2 MB) instead of
  //   growing to 16 MB. Almost everything the linter allocates (parse trees) is garbage by the next
  //   file, and a small nursery reuses the same memory, still in the CPU's cache, while a large one
  //   keeps touching fresh pages (measured: 3,400 fewer page faults per 20,000 statements, about 2%
  //   less time on one thread).
  oneRunV8Flags: '--liftoff-only --semi-space-growth-factor=1',
};

/** MySQL and SQLite: node-sql-parser's grammar for the dialect, best effort. */
function sqlish(dialect: SqlishDialect): LintDialect {
  return {
    prepare: () => loadSqlishParser(dialect),
    lintFile: (sql) => lintSqlishFile(sql, dialect),
    notes: [
      `${dialect}: best-effort parser (node-sql-parser), not the server's own grammar: drops, renames, type changes, NOT NULL columns without default and DELETE/UPDATE without WHERE are checked; locking rules are PostgreSQL-only; statements the parser cannot read are RW001 findings`,
    ],
  };
}

export const LINT_DIALECTS: Readonly<Record<LintEngine, LintDialect>> = {
  postgres,
  mysql: sqlish('mysql'),
  sqlite: sqlish('sqlite'),
};

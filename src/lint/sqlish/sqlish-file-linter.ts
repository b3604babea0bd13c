import type { FileLintOutput, LocatedHit } from '../file-lint-output.js';
import { DATABASE_NAME, sqlishParser } from './sqlish-parser-module.js';
import { SqlishScope, sqlishRules } from './sqlish-rules.js';
import { scanSqlish, type SqlishDialect } from './sqlish-statement-scanner.js';
import { SourcePositionMap } from '../source-position-map.js';

/**
 * Best-effort lint of one MySQL or SQLite file: statements from the dialect scanner, trees from
 * node-sql-parser, one statement at a time (so a statement the parser does not know costs only
 * that statement). Session and transaction commands the parser does not support (BEGIN, PRAGMA,
 * SET, …) change no schema and are passed over; any other statement it cannot parse is RW001.
 */
const SESSION_COMMANDS = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'PRAGMA', 'SET', 'USE', 'LOCK', 'UNLOCK', 'ANALYZE', 'VACUUM']);

export function lintSqlishFile(sql: string, dialect: SqlishDialect): FileLintOutput {
  const positions = new SourcePositionMap(sql);
  const { statements, comments } = scanSqlish(positions, dialect);
  const parser = sqlishParser(dialect);
  const scope = new SqlishScope();
  const hits: LocatedHit[] = [];
  statements.forEach((statement, statementIndex) => {
    const at = { statementIndex, line: statement.span.startLine, column: positions.positionOf(statement.span.start).column, statement: statement.text };
    let asts: Record<string, unknown>[];
    try {
      const result = parser.astify(statement.text, { database: DATABASE_NAME[dialect] });
      asts = (Array.isArray(result) ? result : [result]) as Record<string, unknown>[];
    } catch (error) {
      if (SESSION_COMMANDS.has(statement.firstWord)) return;
      const reason = ((error as Error).message.split('\n')[0] ?? '').slice(0, 160);
      hits.push({ ...at, code: 'RW001', message: `the best-effort ${dialect} parser (node-sql-parser) cannot read this statement (${reason}); nothing in it was checked` });
      return;
    }
    for (const ast of asts) {
      for (const hit of sqlishRules(ast, scope)) hits.push({ ...hit, ...at });
      scope.record(ast);
    }
  });
  return { spans: statements.map((s) => s.span), comments, hits, statements: statements.length };
}

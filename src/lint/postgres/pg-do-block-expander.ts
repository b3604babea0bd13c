import type { DoStmt, Node } from 'libpg-query';
import { pgParser } from './pg-parser-module.js';

/**
 * A `DO $$ … $$` block is one statement to the SQL grammar, but migrations hide real DDL in them
 * ("add the enum value if it is missing"). The body is handed to PostgreSQL's PL/pgSQL parser
 * (libpg-query `parsePlPgSQLSync`, by wrapping it in a throwaway function declaration), and every
 * static SQL statement in it is parsed and linted like a top-level one, at its own line. What
 * cannot be seen is said so instead of guessed: EXECUTE of a string built at run time, a body in
 * another language, or a body that does not parse becomes an RW002 finding.
 */
export interface NestedStatement {
  node: Node;
  line: number;
  text: string;
}

export interface OpaquePart {
  line: number;
  message: string;
}

export interface DoBlockContents {
  statements: NestedStatement[];
  opaque: OpaquePart[];
}

/**
 * @param bodyLine the file line on which the body's string literal (`$$`) starts: PL/pgSQL numbers
 *   the body's lines from 1 there.
 */
export function expandDoBlock(stmt: DoStmt, bodyLine: number, depth = 0): DoBlockContents {
  const options = new Map<string, string>();
  for (const arg of stmt.args ?? []) {
    if ('DefElem' in arg && arg.DefElem.arg && 'String' in arg.DefElem.arg) options.set(arg.DefElem.defname ?? '', arg.DefElem.arg.String.sval ?? '');
  }
  const language = options.get('language') ?? 'plpgsql';
  const body = options.get('as') ?? '';
  if (language.toLowerCase() !== 'plpgsql') {
    return { statements: [], opaque: [{ line: bodyLine, message: `DO block in language ${language}: its SQL cannot be checked` }] };
  }
  let tree: unknown;
  try {
    tree = pgParser().parsePlPgSQLSync(`CREATE FUNCTION rewind_lint_do_block() RETURNS void AS ${dollarQuote(body)} LANGUAGE plpgsql`);
  } catch (error) {
    return { statements: [], opaque: [{ line: bodyLine, message: `DO block body does not parse as PL/pgSQL (${(error as Error).message}); its SQL cannot be checked` }] };
  }
  const contents: DoBlockContents = { statements: [], opaque: [] };
  walk(tree, bodyLine, contents, depth);
  return contents;
}

/** A dollar quote whose tag does not occur in the body, so the body is passed through untouched. */
function dollarQuote(body: string): string {
  let tag = 'rewind_do';
  for (let n = 0; body.includes(`$${tag}$`); n += 1) tag = `rewind_do_${n}`;
  return `$${tag}$${body}$${tag}$`;
}

const DYNAMIC: Record<string, string> = {
  PLpgSQL_stmt_dynexecute: 'EXECUTE of a SQL string',
  PLpgSQL_stmt_dynfors: 'FOR … IN EXECUTE of a SQL string',
};

function walk(value: unknown, bodyLine: number, out: DoBlockContents, depth: number): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, bodyLine, out, depth);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const stmt = child as { lineno?: number; sqlstmt?: { PLpgSQL_expr?: { query?: string } }; dynquery?: unknown } | undefined;
    const line = bodyLine + Math.max(1, stmt?.lineno ?? 1) - 1;
    if (key === 'PLpgSQL_stmt_execsql') {
      addStatic(stmt?.sqlstmt?.PLpgSQL_expr?.query ?? '', line, out, depth);
    } else if (DYNAMIC[key] || ((key === 'PLpgSQL_stmt_open' || key === 'PLpgSQL_stmt_return_query') && stmt?.dynquery)) {
      out.opaque.push({ line, message: `${DYNAMIC[key] ?? 'a query built at run time'} in a DO block: dynamic SQL cannot be checked` });
    }
    walk(child, bodyLine, out, depth);
  }
}

function addStatic(query: string, line: number, out: DoBlockContents, depth: number): void {
  let parsed;
  try {
    parsed = pgParser().parseSync(query).stmts ?? [];
  } catch (error) {
    out.opaque.push({ line, message: `statement in a DO block does not parse (${(error as Error).message}); it cannot be checked` });
    return;
  }
  for (const raw of parsed) {
    if (!raw.stmt) continue;
    out.statements.push({ node: raw.stmt, line, text: query.trim() });
    // A DO inside a DO: expand it too, a bounded number of levels deep.
    if ('DoStmt' in raw.stmt) {
      if (depth >= 3) out.opaque.push({ line, message: 'DO blocks nested too deeply to check' });
      else {
        const inner = expandDoBlock(raw.stmt.DoStmt, line, depth + 1);
        out.statements.push(...inner.statements);
        out.opaque.push(...inner.opaque);
      }
    }
  }
}

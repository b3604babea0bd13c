import type { Node, RawStmt, ScanToken } from 'libpg-query';
import type { StatementSpan } from '../file-lint-output.js';
import { pgParser } from './pg-parser-module.js';
import type { SourcePositionMap } from '../source-position-map.js';

/**
 * Splits a PostgreSQL file into statements with PostgreSQL's own parser: the statement
 * boundaries, and what each statement is, come from the server grammar, so `SELECT '--'; DROP
 * TABLE films;` is two statements and a `DROP` inside a string or comment is no statement at all.
 */
export interface PgStatementItem {
  kind: 'statement';
  node: Node;
  /** Byte offset the node's own `location` fields count from (0 unless the file was re-parsed in pieces). */
  byteBase: number;
  span: StatementSpan;
  column: number;
  text: string;
}

export interface PgFailureItem {
  kind: 'failure';
  span: StatementSpan;
  /** Where the parser stopped. */
  line: number;
  column: number;
  message: string;
  text: string;
}

export type PgReadItem = PgStatementItem | PgFailureItem;

interface SqlErrorLike {
  message: string;
  sqlDetails?: { cursorPosition?: number };
}

export function readPgStatements(positions: SourcePositionMap): PgReadItem[] {
  const { sql } = positions;
  if (sql === '') return []; // libpg-query refuses an empty string; an empty migration has no statements
  try {
    return fromParse(positions, pgParser().parseSync(sql).stmts ?? [], 0, Buffer.byteLength(sql, 'utf8'));
  } catch (error) {
    return recover(positions, error as SqlErrorLike);
  }
}

function fromParse(positions: SourcePositionMap, stmts: RawStmt[], byteBase: number, byteEnd: number): PgStatementItem[] {
  return stmts.map((raw) => {
    const startByte = byteBase + (raw.stmt_location ?? 0);
    // stmt_len 0 (omitted) means "to the end of the text parsed": the last statement without a `;`.
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : withoutTrailingComments(positions, startByte, byteEnd);
    const span = spanOf(positions, positions.charOfByte(startByte), positions.charOfByte(endByte));
    return { kind: 'statement' as const, node: raw.stmt!, byteBase, span, column: positions.positionOf(span.start).column, text: positions.sql.slice(span.start, span.end).trim() };
  });
}

/** A last statement without `;` runs to the end of the file; comments after it are not part of it. */
function withoutTrailingComments(positions: SourcePositionMap, startByte: number, endByte: number): number {
  const tail = positions.sliceBytes(startByte, endByte);
  if (!tail.includes('--') && !tail.includes('/*')) return endByte;
  try {
    const tokens = pgParser().scanSync(tail).tokens.filter((t) => !COMMENT_TOKENS.has(t.tokenName));
    const last = tokens.at(-1);
    return last ? startByte + last.end : endByte;
  } catch {
    return endByte;
  }
}

/**
 * One syntax error must not hide a `DROP TABLE` further down. After a failed whole-file parse the
 * file is cut at the `;` tokens PostgreSQL's own scanner reports (never inside strings, comments
 * or dollar quotes) and each piece is parsed alone: pieces that parse are linted, the others
 * become RW001 findings. If even the scanner fails (an unterminated quote or comment swallows the
 * rest of the file), the whole file is one failure.
 */
function recover(positions: SourcePositionMap, wholeFileError: SqlErrorLike): PgReadItem[] {
  const { sql } = positions;
  let tokens: ScanToken[];
  try {
    tokens = pgParser().scanSync(sql).tokens ?? [];
  } catch {
    return [failure(positions, 0, sql.length, 0, wholeFileError)];
  }
  const totalBytes = Buffer.byteLength(sql, 'utf8');
  const items: PgReadItem[] = [];
  let from = 0;
  let next = 0; // index of the first token at or after `from`
  for (const to of [...tokens.filter((t) => t.text === ';').map((t) => t.start), totalBytes]) {
    // The piece starts at its first real token: comments before it belong between statements.
    while (next < tokens.length && (tokens[next]!.start < from || COMMENT_TOKENS.has(tokens[next]!.tokenName))) next += 1;
    const first = next < tokens.length && tokens[next]!.start < to ? tokens[next]!.start : undefined;
    if (first !== undefined) {
      try {
        items.push(...fromParse(positions, pgParser().parseSync(positions.sliceBytes(from, to)).stmts ?? [], from, to));
      } catch (error) {
        const start = positions.charOfByte(first);
        items.push(failure(positions, start, positions.charOfByte(to), positions.charOfByte(from), error as SqlErrorLike));
      }
    }
    from = to + 1;
  }
  return items;
}

const COMMENT_TOKENS = new Set(['SQL_COMMENT', 'C_COMMENT']);

function failure(positions: SourcePositionMap, start: number, end: number, base: number, error: SqlErrorLike): PgFailureItem {
  // The parser's error cursor counts characters (code points) from the start of the text it was given.
  const at = base + codePointsToUnits(positions.sql.slice(base), error.sqlDetails?.cursorPosition ?? 0);
  const lead = positions.sql.slice(start, end);
  const span = spanOf(positions, start + (lead.length - lead.trimStart().length), end);
  const { line, column } = positions.positionOf(Math.min(at, positions.sql.length));
  return { kind: 'failure', span, line, column, message: error.message, text: positions.sql.slice(span.start, span.end).trim() };
}

function codePointsToUnits(text: string, codePoints: number): number {
  let units = 0;
  let seen = 0;
  for (const ch of text) {
    if (seen >= codePoints) break;
    units += ch.length;
    seen += 1;
  }
  return units;
}

function spanOf(positions: SourcePositionMap, start: number, end: number): StatementSpan {
  return { start, end, startLine: positions.lineOf(start), endLine: positions.lineOf(Math.max(start, end - 1)) };
}

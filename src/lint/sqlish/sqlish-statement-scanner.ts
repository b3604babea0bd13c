import type { SourceComment, StatementSpan } from '../file-lint-output.js';
import type { SourcePositionMap } from '../source-position-map.js';

/**
 * A lexical scanner for MySQL and SQLite files. node-sql-parser (the best-effort parser for those
 * dialects) neither reports where statements start nor keeps comments, so this scanner does what
 * PostgreSQL's own lexer does for PostgreSQL files: it walks the text character by character,
 * knows quotes (with each dialect's escapes), backticks, [brackets] (SQLite), `--`, `#` (MySQL)
 * and block comments, and cuts statements at `;` only outside all of them. It also honours the
 * mysql client's `DELIMITER` command and keeps BEGIN … END bodies of CREATE TRIGGER/PROCEDURE/
 * FUNCTION/EVENT together, because their inner `;` do not end the statement.
 */
export type SqlishDialect = 'mysql' | 'sqlite';

export interface ScannedStatement {
  span: StatementSpan;
  text: string;
  /** The first word of the statement, upper-cased (comments and quotes never count). */
  firstWord: string;
}

export interface ScanOutput {
  statements: ScannedStatement[];
  comments: SourceComment[];
}

export function scanSqlish(positions: SourcePositionMap, dialect: SqlishDialect): ScanOutput {
  const sql = positions.sql;
  const statements: ScannedStatement[] = [];
  const comments: SourceComment[] = [];
  let delimiter = ';';
  let start = -1; // offset of the current statement's first token, -1 between statements
  let words: string[] = []; // the current statement's leading words (enough to spot CREATE … TRIGGER)
  let depth = 0; // BEGIN/CASE … END nesting inside a routine body
  let i = 0;

  const finish = (end: number): void => {
    if (start >= 0) {
      const text = sql.slice(start, end).trimEnd();
      const stop = start + text.length;
      statements.push({ span: { start, end: stop, startLine: positions.lineOf(start), endLine: positions.lineOf(Math.max(start, stop - 1)) }, text, firstWord: words[0] ?? '' });
    }
    start = -1;
    words = [];
    depth = 0;
  };
  const comment = (from: number, to: number): void => {
    comments.push({ start: from, end: to, startLine: positions.lineOf(from), endLine: positions.lineOf(Math.max(from, to - 1)), text: sql.slice(from, to) });
  };

  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    // The mysql client's DELIMITER command, only where a statement may start.
    if (dialect === 'mysql' && start < 0 && (ch === 'D' || ch === 'd') && sql.slice(i, i + 10).toUpperCase() === 'DELIMITER ' && atLineStart(sql, i)) {
      const eol = lineEnd(sql, i);
      delimiter = sql.slice(i + 10, eol).trim() || ';';
      i = eol;
      continue;
    }
    if (ch === '-' && next === '-' && (dialect === 'sqlite' || isSpaceOrEnd(sql[i + 2]))) {
      const eol = lineEnd(sql, i);
      comment(i, eol);
      i = eol;
      continue;
    }
    if (ch === '#' && dialect === 'mysql') {
      const eol = lineEnd(sql, i);
      comment(i, eol);
      i = eol;
      continue;
    }
    if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close === -1 ? sql.length : close + 2;
      comment(i, end);
      i = end;
      continue;
    }
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (sql.startsWith(delimiter, i) && depth === 0) {
      finish(i);
      i += delimiter.length;
      continue;
    }
    if (start < 0) start = i;
    if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch, dialect === 'mysql');
      continue;
    }
    if (ch === '`') {
      i = skipQuoted(sql, i, '`', false);
      continue;
    }
    if (ch === '[' && dialect === 'sqlite') {
      const close = sql.indexOf(']', i + 1);
      i = close === -1 ? sql.length : close + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      // `$` is left out of words so a `END$$` under `DELIMITER $$` still ends at the delimiter.
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j += 1;
      const word = sql.slice(i, j).toUpperCase();
      if (words.length < 6) words.push(word);
      // With a client DELIMITER in force, the delimiter alone ends statements (that is its purpose).
      if (delimiter === ';' && isRoutine(words)) {
        if (word === 'BEGIN' || word === 'CASE') depth += 1;
        else if (word === 'END' && depth > 0) depth -= 1;
      }
      i = j;
      continue;
    }
    i += 1;
  }
  finish(sql.length);
  return { statements, comments };
}

/** CREATE [TEMP|DEFINER=…] TRIGGER/PROCEDURE/FUNCTION/EVENT: bodies with their own `;`. */
function isRoutine(words: string[]): boolean {
  return words[0] === 'CREATE' && words.some((w) => w === 'TRIGGER' || w === 'PROCEDURE' || w === 'FUNCTION' || w === 'EVENT');
}

/** Index just past a quoted token; `''` (and `\'` where backslash escapes exist) do not close it. */
function skipQuoted(sql: string, from: number, quote: string, backslash: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (backslash && ch === '\\') i += 2;
    else if (ch === quote && sql[i + 1] === quote) i += 2;
    else if (ch === quote) return i + 1;
    else i += 1;
  }
  return sql.length;
}

const lineEnd = (sql: string, from: number): number => {
  const eol = sql.indexOf('\n', from);
  return eol === -1 ? sql.length : eol;
};
const isSpaceOrEnd = (ch: string | undefined): boolean => ch === undefined || /\s/.test(ch);
const atLineStart = (sql: string, at: number): boolean => /^[ \t]*$/.test(sql.slice(sql.lastIndexOf('\n', at - 1) + 1, at));

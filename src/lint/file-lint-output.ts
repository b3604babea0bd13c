import type { RuleCode } from './lint-types.js';

/**
 * What an engine (PostgreSQL, or the best-effort MySQL/SQLite one) hands back for one file before
 * suppressions are applied. Suppression is engine-independent: it only needs where statements and
 * comments are, so each engine reports spans and comments in character offsets and lines.
 */
export interface StatementSpan {
  /** Character offsets of the statement (end exclusive, without the `;`). */
  start: number;
  end: number;
  startLine: number;
  endLine: number;
}

export interface SourceComment {
  start: number;
  end: number;
  startLine: number;
  endLine: number;
  /** The whole comment, delimiters included (`-- …` or `/* … *\/`). */
  text: string;
}

/** A rule's verdict on one statement, before it is placed in a file. */
export interface RuleHit {
  code: RuleCode;
  message: string;
}

export interface LocatedHit extends RuleHit {
  /** Which top-level statement raised it (suppressions attach to statements); nested DO statements use their DO's index. */
  statementIndex: number;
  line: number;
  column?: number;
  statement: string;
}

export interface FileLintOutput {
  spans: StatementSpan[];
  comments: SourceComment[];
  hits: LocatedHit[];
  /** Statements seen, nested DO-block statements included. */
  statements: number;
}

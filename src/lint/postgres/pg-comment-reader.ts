import type { SourceComment } from '../file-lint-output.js';
import { pgParser } from './pg-parser-module.js';
import type { SourcePositionMap } from '../source-position-map.js';

/**
 * Comments as PostgreSQL's own lexer sees them (libpg-query `scanSync`): `--` inside a string,
 * `/*` inside a dollar-quoted body or a quoted identifier is not a comment, and nested block
 * comments end where the server says they end. Suppression directives are read only from these.
 */
export function readPgComments(positions: SourcePositionMap): SourceComment[] {
  let tokens;
  try {
    tokens = pgParser().scanSync(positions.sql).tokens ?? [];
  } catch {
    return []; // an unscannable file is already an RW001 finding; it has no trustworthy comments
  }
  const comments: SourceComment[] = [];
  for (const token of tokens) {
    if (token.tokenName !== 'SQL_COMMENT' && token.tokenName !== 'C_COMMENT') continue;
    const start = positions.charOfByte(token.start);
    const end = positions.charOfByte(token.end);
    comments.push({ start, end, startLine: positions.lineOf(start), endLine: positions.lineOf(Math.max(start, end - 1)), text: token.text });
  }
  return comments;
}

import type { SourceComment, StatementSpan } from '../file-lint-output.js';

/**
 * Which statements a comment can be talking about, most likely first. "On the line before or the
 * same line as a statement" is ambiguous when a comment trails one statement and sits just above
 * the next, so every plausible statement is returned and the suppression goes to the first one
 * that actually has a finding with the code it names:
 *   1. the statement the comment is inside of (`ALTER TABLE t -- rewind:ignore …` on a long statement);
 *   2. statements starting on the line where the comment ends (`/* … *\/ DROP TABLE t;`);
 *   3. the statement ending on the line where the comment starts (`DROP TABLE t; -- rewind:ignore …`);
 *   4. the statements starting on the next line, or below a run of comment lines with no blank
 *      line in between: a directive above other comments above a statement still belongs to it.
 */
export function candidateStatements(spans: readonly StatementSpan[], comments: readonly SourceComment[], index: number): number[] {
  const comment = comments[index]!;
  const candidates: number[] = [];
  const next = firstStartingAtOrAfter(spans, comment.end);
  const containing = next - 1 >= 0 && spans[next - 1]!.start <= comment.start && spans[next - 1]!.end >= comment.end ? next - 1 : -1;
  if (containing >= 0) candidates.push(containing);
  const nextSpan = spans[next];
  // Every statement starting on `line` (two statements can share a line: `SELECT 1; DROP TABLE t;`).
  const startingOn = (line: number): void => {
    for (let k = next; k < spans.length && spans[k]!.startLine <= line; k += 1) if (spans[k]!.startLine === line && !candidates.includes(k)) candidates.push(k);
  };
  if (nextSpan && nextSpan.startLine === comment.endLine) startingOn(comment.endLine);
  const previous = containing >= 0 ? -1 : next - 1;
  if (previous >= 0 && spans[previous]!.endLine === comment.startLine) candidates.push(previous);
  if (nextSpan && nextSpan.startLine > comment.endLine) {
    // Extend over the comments directly below, line by line, until a gap or the statement.
    let reach = comment.endLine;
    for (let k = index + 1; k < comments.length && comments[k]!.start < nextSpan.start; k += 1) {
      if (comments[k]!.startLine > reach + 1) break;
      reach = Math.max(reach, comments[k]!.endLine);
    }
    if (nextSpan.startLine <= reach + 1) startingOn(nextSpan.startLine);
  }
  return candidates;
}

/** Index of the first statement that starts at or after `offset` (spans are in file order). */
function firstStartingAtOrAfter(spans: readonly StatementSpan[], offset: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

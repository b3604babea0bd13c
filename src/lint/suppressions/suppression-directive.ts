/**
 * The inline suppression syntax, read from comment text the SQL scanner has already isolated:
 *
 *   -- rewind:ignore RW102 column unused since 2.3, archived in ops/archive.sql
 *   /* rewind:ignore RW201, RW212 table has 40 rows *\/
 *
 * One or more rule codes, then a reason. The reason is mandatory: a suppression is a decision a
 * reviewer must be able to read later, so one without a reason suppresses nothing (RW003).
 */
export const SUPPRESSION_MARKER = 'rewind:ignore';

export interface SuppressionDirective {
  codes: string[];
  reason: string;
}

/** The directive in a comment, or undefined when the comment is not one. */
export function parseSuppressionDirective(commentText: string): SuppressionDirective | undefined {
  const body = stripDelimiters(commentText).trim();
  if (!body.startsWith(SUPPRESSION_MARKER)) return undefined;
  const words = body.slice(SUPPRESSION_MARKER.length).trim().split(/\s+/).filter((w) => w !== '');
  const codes: string[] = [];
  let i = 0;
  for (; i < words.length; i += 1) {
    // "RW101,RW301" and "RW101, RW301" and "RW101:" all list codes.
    const parts = words[i]!.split(',').map((p) => p.replace(/:$/, '')).filter((p) => p !== '');
    if (parts.length === 0 || !parts.every((p) => /^RW\d{3}$/i.test(p))) break;
    codes.push(...parts.map((p) => p.toUpperCase()));
  }
  return { codes, reason: words.slice(i).join(' ') };
}

function stripDelimiters(text: string): string {
  if (text.startsWith('--')) return text.slice(2);
  if (text.startsWith('#')) return text.slice(1); // MySQL line comments
  if (text.startsWith('/*')) return text.slice(2, text.endsWith('*/') ? -2 : undefined).replace(/^\s*\*/gm, ' ');
  return text;
}

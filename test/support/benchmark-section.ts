// docs/benchmarks.md is shared by the benchmarks: bench/lint-bench.ts may only add or refresh its
// own section. Kept here, beside the tests, so test/lint-bench-section.test.ts and the bench share
// it without a test importing bench code.

/** The heading of the section the lint bench writes. */
export const SECTION = '## Migration lint';

/** The file with this section appended, or with an earlier copy of this section (only) replaced. */
export function mergeBenchmarkSection(existing: string | undefined, markdown: string): string {
  if (existing === undefined || existing.trim() === '') return markdown;
  const start = existing.startsWith(`${SECTION}\n`) ? 0 : existing.indexOf(`\n${SECTION}\n`) + 1;
  if (start === 0 && !existing.startsWith(`${SECTION}\n`)) return `${existing.replace(/\n*$/, '\n\n')}${markdown}`;
  const next = existing.indexOf('\n## ', start + SECTION.length);
  return `${existing.slice(0, start)}${markdown}${next === -1 ? '' : `\n${existing.slice(next + 1)}`}`;
}

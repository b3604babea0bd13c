/**
 * A unified diff of two texts (what `--dry-run` shows), with 3 lines of context. Common head and
 * tail are trimmed first, so the LCS table only spans the changed middle: small for a CHANGELOG.
 */
export function unifiedDiff(before: string, after: string, oldName: string, newName: string): string {
  if (before === after) return '';
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  // LCS lengths from the end, then walk forward: ' ' kept, '-' removed, '+' added.
  const width = bm.length + 1;
  const lcs = new Uint32Array((am.length + 1) * width);
  for (let i = am.length - 1; i >= 0; i--)
    for (let j = bm.length - 1; j >= 0; j--) lcs[i * width + j] = am[i] === bm[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
  const ops: { op: ' ' | '-' | '+'; line: string }[] = a.slice(0, head).map((line) => ({ op: ' ', line }));
  let i = 0;
  let j = 0;
  while (i < am.length || j < bm.length) {
    if (i < am.length && j < bm.length && am[i] === bm[j]) ops.push({ op: ' ', line: am[i++]! }), j++;
    // Removals before additions where either keeps the LCS, as git prints them.
    else if (i < am.length && (j >= bm.length || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) ops.push({ op: '-', line: am[i++]! });
    else ops.push({ op: '+', line: bm[j++]! });
  }
  for (const line of a.slice(a.length - tail)) ops.push({ op: ' ', line });
  return `--- ${oldName}\n+++ ${newName}\n${hunks(ops).join('')}`;
}

function hunks(ops: { op: ' ' | '-' | '+'; line: string }[]): string[] {
  const CONTEXT = 3;
  const changed = ops.map((o, k) => (o.op === ' ' ? -1 : k)).filter((k) => k >= 0);
  const out: string[] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - CONTEXT);
    let end = changed[k]! + CONTEXT + 1;
    while (k + 1 < changed.length && changed[k + 1]! - CONTEXT <= end) end = changed[++k]! + CONTEXT + 1;
    k++;
    end = Math.min(end, ops.length);
    let oldStart = 1;
    let newStart = 1;
    for (const o of ops.slice(0, start)) {
      if (o.op !== '+') oldStart++;
      if (o.op !== '-') newStart++;
    }
    const body = ops.slice(start, end);
    const oldCount = body.filter((o) => o.op !== '+').length;
    const newCount = body.filter((o) => o.op !== '-').length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@\n${body.map((o) => `${o.op}${o.line}\n`).join('')}`);
  }
  return out;
}

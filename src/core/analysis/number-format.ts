/** Numbers in verdict reasons: four significant digits, so a journal line stays readable and exact enough. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n !== 0 && Math.abs(n) < 1e-3) return n.toExponential(1);
  return String(Number(n.toPrecision(4)));
}

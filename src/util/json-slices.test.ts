import { describe, expect, it } from 'vitest';
import { writeJsonInSlices } from './json-slices.js';

const sliced = (value: object, sliceSize?: number): { text: string; chunks: string[] } => {
  const chunks: string[] = [];
  writeJsonInSlices((c) => chunks.push(c), value, sliceSize);
  return { text: chunks.join(''), chunks };
};

describe('writeJsonInSlices', () => {
  it('writes exactly what JSON.stringify writes, big arrays a slice at a time', () => {
    const findings = Array.from({ length: 1000 }, (_, i) => ({ code: `RW${100 + (i % 7)}`, line: i, message: `drops "col_${i}" — ünïcödé \u2028 \\ ${'x'.repeat(i % 13)}`, column: i % 3 === 0 ? undefined : i }));
    const value = { findings, suppressed: [], verdict: 'breaking', reasons: ['a', 'b'], notes: [], engine: 'postgres', files: 3, statements: 1000, skipped: undefined, nested: { list: Array.from({ length: 200 }, (_, i) => i) } };
    const { text, chunks } = sliced(value);
    expect(text).toBe(JSON.stringify(value));
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    // The point of it: no chunk holds more than one slice of findings.
    const biggest = Math.max(...chunks.map((c) => c.length));
    const biggestSlice = Math.max(...Array.from({ length: Math.ceil(1000 / 64) }, (_, k) => JSON.stringify(findings.slice(k * 64, (k + 1) * 64)).length));
    expect(biggest).toBeLessThanOrEqual(biggestSlice);
    expect(chunks.length).toBeGreaterThan(1000 / 64);
  });

  it('matches JSON.stringify at the edges: empty, exactly one slice, one more, holes and odd values', () => {
    const cases: object[] = [
      {},
      { a: [] },
      { a: Array.from({ length: 64 }, (_, i) => i) },
      { a: Array.from({ length: 65 }, (_, i) => i), b: null },
      { a: [1, undefined, () => 1, Symbol('s'), null, new Date(0), { toJSON: () => 'x' }], f: () => 1, s: Symbol('t'), '2': 'integer keys first', z: [[1], [2]] },
    ];
    for (const value of cases) for (const size of [1, 2, 64]) expect(sliced(value, size).text).toBe(JSON.stringify(value));
  });

  it('refuses a slice size below one instead of looping forever', () => {
    expect(() => sliced({ a: [1] }, 0)).toThrow(RangeError);
  });
});

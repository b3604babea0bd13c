import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { measure } from '../scripts/import-arrows.mjs';

interface Arrow {
  from: string;
  to: string;
}

// The house's layers (scripts/import-arrows.mjs): arrows point down, and the CLI is the top, so
// nothing else (the demo, the app root, the benchmarks, the tests' support code) reaches into it.
describe('import arrows', () => {
  const result = measure() as { upward: Arrow[]; intoCli: Arrow[] };
  const show = (arrows: Arrow[]) => arrows.map((a) => `${a.from} -> ${a.to}`);

  it('no module imports from a layer above its own', () => {
    expect(show(result.upward)).toEqual([]);
  });

  it('nothing outside src/cli imports from src/cli', () => {
    expect(show(result.intoCli)).toEqual([]);
  });
});

import { parseEvents } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { parseYaml } from './parse-yaml.js';
import { findAliasOverrun } from './yaml-alias-budget.js';

/** "Billion laughs": level 1 holds `width` scalars, every further level `width` aliases of the one before (width^levels nodes). */
function laughs(levels: number, width = 9, indent = ''): string {
  const lines = [`${indent}l1: &l1 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let level = 2; level <= levels; level++) lines.push(`${indent}l${level}: &l${level} [${Array(width).fill(`*l${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

function refusal(text: string, file?: string): RewindError {
  try {
    parseYaml(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    return error as RewindError;
  }
  throw new Error('expected a RewindError');
}

const overrun = (text: string, budget?: number) => findAliasOverrun(parseEvents(text, {}), text, budget);

describe('parseYaml alias budget', () => {
  it('refuses nine levels of nine aliases (9^9 nodes from a few hundred bytes) with REWIND_E_CONFIG_TOO_LARGE at the alias that passes the budget', () => {
    const text = laughs(9);
    expect(text.length).toBeLessThan(2048);
    const error = refusal(text);
    expect(error.code).toBe('REWIND_E_CONFIG_TOO_LARGE');
    expect(error.exitCode).toBe(2);
    // Levels 2–5 alias 74,718 nodes; the first alias of level 6 (*l5, 66,430 nodes) passes 100,000.
    expect(error.details).toEqual({ line: 6, column: 10, anchor: 'l5' });
    expect(error.message).toBe(
      'rewind.yaml is too large (line 6, column 10): with alias *l5 its aliases stand for more than 100,000 nodes (an alias counts as a copy of everything its anchor holds)',
    );
  });

  it('counts what aliases stand for, to the node: the budget itself passes, one more does not', () => {
    // 10 aliases of a 10-item list: 10 × 11 nodes (the list and its items).
    const text = `base: &b [${Array(10).fill('x').join(', ')}]\ncopies: [${Array(10).fill('*b').join(', ')}]\n`;
    expect(overrun(text, 110)).toBeNull();
    expect(overrun(text, 109)).toMatchObject({ reason: 'budget', anchor: 'b' });
    // A scalar anchor is one node per alias; a nested alias counts what it stands for again.
    expect(overrun('a: &a x\nb: [*a, *a, *a]\n', 3)).toBeNull();
    expect(overrun('a: &a x\nb: [*a, *a, *a]\n', 2)).toMatchObject({ reason: 'budget' });
    expect(overrun('a: &a [x, y]\nb: &b [*a, *a]\nc: [*b]\n', 3 + 3 + 7)).toBeNull();
    expect(overrun('a: &a [x, y]\nb: &b [*a, *a]\nc: [*b]\n', 3 + 3 + 6)).toMatchObject({ reason: 'budget', anchor: 'b' });
  });

  it('follows the latest definition of an anchor name, as js-yaml does', () => {
    const text = 'a: &x [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: &x 1\nc: [*x, *x]\n';
    expect(overrun(text, 2)).toBeNull();
    expect(parseYaml(text)).toEqual({ a: [1, 2, 3, 4, 5, 6, 7, 8, 9], b: 1, c: [1, 1] });
  });

  it('refuses an alias inside the collection it names (a cycle) instead of overflowing the stack later', () => {
    for (const text of ['a: &a [1, *a]\n', 'a: &a\n  self: *a\n']) {
      const error = refusal(text);
      expect(error.code).toBe('REWIND_E_CONFIG_TOO_LARGE');
      expect(error.message).toMatch(/alias \*a is inside the collection it names/);
    }
  });

  it('keeps the usual YAML errors: an alias to no anchor is REWIND_E_CONFIG_YAML', () => {
    expect(refusal('a: *nowhere\n')).toMatchObject({ code: 'REWIND_E_CONFIG_YAML', message: expect.stringContaining('unidentified alias') });
  });

  it('reads legitimate anchors as before, and YAML 1.1 merge keys', () => {
    const text = `shared: &health
  url: http://127.0.0.1:3000/health
  retries: 3
  headers: &headers { x-team: web }
environments:
  staging:
    health: *health
  production:
    health: *health
    extraHeaders: *headers
`;
    expect(overrun(text)).toBeNull();
    const health = { url: 'http://127.0.0.1:3000/health', retries: 3, headers: { 'x-team': 'web' } };
    expect(parseYaml(text)).toEqual({ shared: health, environments: { staging: { health }, production: { health, extraHeaders: { 'x-team': 'web' } } } });
    const merged = `%YAML 1.1\n---\n${text.replace('    health: *health\n    extraHeaders', '    health:\n      <<: *health\n      retries: 5\n    extraHeaders')}`;
    expect(parseYaml(merged)).toEqual({ shared: health, environments: { staging: { health }, production: { health: { ...health, retries: 5 }, extraHeaders: { 'x-team': 'web' } } } });
  });
});

describe('parseYaml names the file it was given', () => {
  it('in a syntax error, a second document and an alias overrun (rewind.yaml only when no file is named)', () => {
    const file = '/srv/ops/staging.yaml';
    expect(refusal('a: [unclosed\n', file)).toMatchObject({ code: 'REWIND_E_CONFIG_YAML', message: expect.stringMatching(/^\/srv\/ops\/staging\.yaml is not valid YAML \(line 2, column 1\): /), details: { path: file } });
    expect(refusal('a: 1\n---\nb: 2\n', file).message).toBe('/srv/ops/staging.yaml is not valid YAML (line 3, column 1): the file holds more than one YAML document (one is expected)');
    expect(refusal(laughs(9), file).message).toMatch(/^\/srv\/ops\/staging\.yaml is too large \(line 6, column 10\): /);
    expect(refusal('a: [unclosed\n').message).toMatch(/^rewind\.yaml is not valid YAML /);
  });
});

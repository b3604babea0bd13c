import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from './rule-catalog.js';

const CLASS_BY_RANGE: Record<string, string[]> = { '0': ['unchecked', 'invalid'], '1': ['breaking'], '2': ['locking'], '3': ['irreversible'] };

describe('rule catalog', () => {
  it('has unique, well-formed codes whose hundreds digit matches their class', () => {
    const codes = RULES.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const rule of RULES) {
      expect(rule.code).toMatch(/^RW[0-3]\d\d$/);
      expect(CLASS_BY_RANGE[rule.code[2]!], rule.code).toContain(rule.class);
      expect(rule.alternative.length, rule.code).toBeGreaterThan(20);
    }
  });

  // docs/lint.md is the operator-facing copy of the catalog; they must not drift apart.
  it('is documented rule by rule in docs/lint.md with the same class', () => {
    const doc = readFileSync(new URL('../../docs/lint.md', import.meta.url), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `(RW\d{3})` \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]));
    for (const rule of RULES) expect(rows.get(rule.code), `${rule.code} in docs/lint.md`).toBe(rule.class);
    expect([...rows.keys()].filter((code) => !RULES.some((r) => r.code === code))).toEqual([]);
  });
});

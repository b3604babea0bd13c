import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_REGISTRY } from './error-registry.js';

// docs/errors.md is the operator-facing copy of the registry; they must never drift apart.
describe('error registry and docs/errors.md', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `(REWIND_E_[A-Z0-9_]+)` \| (\d+) \| (\d+) \|/gm)].map((m) => [m[1]!, { exitCode: Number(m[2]), httpStatus: Number(m[3]) }]),
  );
  const hints = new Map([...doc.matchAll(/^\| `(REWIND_E_[A-Z0-9_]+)` \| \d+ \| \d+ \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!]));

  it('documents every registered code with its exit code and HTTP status', () => {
    for (const [code, spec] of Object.entries(ERROR_REGISTRY)) {
      expect(rows.get(code), `${code} missing from docs/errors.md`).toEqual({ exitCode: spec.exitCode, httpStatus: spec.httpStatus });
    }
  });

  it('shows every hint as the registry has it, with its placeholders (an error fills in <env> and <version> when it knows them)', () => {
    for (const [code, spec] of Object.entries(ERROR_REGISTRY)) expect(hints.get(code), code).toBe(spec.hint);
  });

  it('lists no code that the registry does not have', () => {
    const stale = [...rows.keys()].filter((code) => !(code in ERROR_REGISTRY));
    expect(stale).toEqual([]);
  });

  it('gives every code a hint and a non-zero exit code', () => {
    for (const [code, spec] of Object.entries(ERROR_REGISTRY)) {
      expect(spec.hint.length, code).toBeGreaterThan(10);
      expect(spec.exitCode, code).toBeGreaterThan(0);
    }
  });
});

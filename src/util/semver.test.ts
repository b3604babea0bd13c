import { describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { parseVersion } from './semver.js';

/** Runs parseVersion and returns the coded error it threw, failing the test if it did not throw one. */
function refusal(input: string, what?: string): RewindError {
  try {
    parseVersion(input, what);
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    return error as RewindError;
  }
  throw new Error(`parseVersion accepted ${JSON.stringify(input)}`);
}

describe('parseVersion', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['1.0.0-rc.1+build.5', '1.0.0-rc.1+build.5'],
    ['v1.0.0-rc.1+build.5', '1.0.0-rc.1+build.5'],
    ['0.0.0', '0.0.0'],
    ['10.20.30-alpha-1.x.7', '10.20.30-alpha-1.x.7'],
  ])('accepts %j as %j', (input, canonical) => {
    expect(parseVersion(input)).toBe(canonical);
  });

  it.each([
    ['shell metacharacters', '1.2.3; rm -rf /'],
    ['two components', '1.2'],
    ['a leading zero', '01.2.3'],
    ['a trailing space', '1.2.3 '],
    ['a leading space', ' 1.2.3'],
    ['a path traversal', '../1.2.3'],
    ['a path separator', '1.2.3/evil'],
    ['the empty string', ''],
    ['a bare v', 'v'],
    ['an uppercase V', 'V1.2.3'],
    ['a trailing newline', '1.2.3\n'],
    ['an embedded newline', '1.2.3\n4.5.6'],
    ['a numeric prerelease with a leading zero', '1.2.3-01'],
    ['a command substitution', '1.2.3-$(id)'],
  ])('refuses %s with REWIND_E_BAD_VERSION naming the input', (_label, input) => {
    const error = refusal(input);
    expect(error.code).toBe('REWIND_E_BAD_VERSION');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(JSON.stringify(input));
    expect(error.details).toEqual({ argument: 'version', value: input });
  });

  it('refuses a 200-character string even when it is otherwise well-formed SemVer', () => {
    const long = `1.0.0-${'a'.repeat(194)}`;
    expect(long).toHaveLength(200);
    expect(refusal(long).code).toBe('REWIND_E_BAD_VERSION');
    // The limit is on length, not on the grammar: a shorter prerelease of the same shape is fine.
    expect(parseVersion(`1.0.0-${'a'.repeat(100)}`)).toBe(`1.0.0-${'a'.repeat(100)}`);
  });

  it('names the argument it was given in the message', () => {
    const error = refusal('nope', '--to');
    expect(error.message).toMatch(/^--to "nope" is not a SemVer version/);
    expect(error.details.argument).toBe('--to');
  });
});

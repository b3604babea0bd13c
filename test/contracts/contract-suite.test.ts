import { describe, expect, it } from 'vitest';
import { providerSelected, selectedProviders } from '../support/services.js';
import { skipListProblems } from './contract-suite.js';

// The frame's own rules: what makes a skip list wrong, and how REWIND_PROVIDERS picks contract runs.
describe('contract skip lists', () => {
  const cases = ['pings a live database', 'verifies a good backup'];

  it('accept exact case names with a reason', () => {
    expect(skipListProblems([{ reason: 'no such tool here', tests: ['verifies a good backup'] }], cases)).toEqual([]);
    expect(skipListProblems([], cases)).toEqual([]);
  });

  it('refuse a name the contract does not have (a renamed or mistyped case), a missing reason, an empty list and a name given twice', () => {
    expect(
      skipListProblems(
        [
          { reason: 'x', tests: ['verifies a good backup ', 'pings a live database'] },
          { reason: ' ', tests: ['pings a live database'] },
          { reason: 'nothing', tests: [] },
        ],
        cases,
      ),
    ).toEqual([
      'skip names a case this contract does not have: "verifies a good backup "',
      'a skip of ["pings a live database"] gives no reason',
      'skip names "pings a live database" twice',
      'the skip "nothing" names no case',
    ]);
  });
});

describe('REWIND_PROVIDERS', () => {
  it('unset or empty selects every provider', () => {
    expect(selectedProviders({})).toBe('all');
    expect(selectedProviders({ REWIND_PROVIDERS: ' , ' })).toBe('all');
    expect(providerSelected('haproxy', {})).toBe(true);
  });

  it('a comma-separated list selects exactly those providers', () => {
    const env = { REWIND_PROVIDERS: 'postgres, mysql' };
    expect(selectedProviders(env)).toEqual(new Set(['postgres', 'mysql']));
    expect(providerSelected('mysql', env)).toBe(true);
    expect(providerSelected('sqlite', env)).toBe(false);
  });
});

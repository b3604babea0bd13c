import { describe, expect, it } from 'vitest';
import { describeServed, judgeAgreement } from './environment-agreement.js';

const on = (...versions: (string | null)[]) => versions.map((version, i) => ({ version, where: `/srv/releases/${version ?? `x${i}`}` }));

describe('judgeAgreement', () => {
  it('agrees when ledger, link and every process name the same release', () => {
    expect(judgeAgreement({ ledger: '1.1.0', link: '1.1.0', served: on('1.1.0', '1.1.0') })).toEqual({ agree: true, served: [{ version: '1.1.0', processes: 2 }], problems: [], onlyDown: false });
    expect(judgeAgreement({ ledger: null, link: null, served: [] }).agree).toBe(true);
    // A runtime that cannot tell what serves leaves only ledger against link.
    expect(judgeAgreement({ ledger: '1.0.0', link: '1.0.0', served: null }).agree).toBe(true);
  });

  it('names each disagreement: ledger vs link, processes vs link, nothing serving, mixed versions', () => {
    // The state the issue saw after a kill in activate: ledger 1.1.0 / link 1.0.0 / served 1.1.0.
    const seen = judgeAgreement({ ledger: '1.1.0', link: '1.0.0', served: on('1.1.0') });
    expect(seen.agree).toBe(false);
    expect(seen.problems).toEqual(['the ledger records 1.1.0 as current but the link points at 1.0.0', '1 of 1 processes serve 1.1.0 while the link points at 1.0.0']);

    const mixed = judgeAgreement({ ledger: '2.2.0', link: '2.2.0', served: on('2.0.0', '2.2.0') });
    expect(mixed.problems).toEqual(['1 of 2 processes serve 2.0.0 while the link points at 2.2.0']);
    expect(describeServed(mixed.served)).toBe('2.0.0 (1 process) and 2.2.0 (1 process)');

    const down = judgeAgreement({ ledger: '1.0.0', link: '1.0.0', served: [] });
    expect(down.problems).toEqual(['nothing serves: no process of the app runs (the ledger records 1.0.0)']);
    expect(down.onlyDown).toBe(true);
    expect(seen.onlyDown).toBe(false);
    expect(judgeAgreement({ ledger: '1.0.0', link: '1.0.0', served: on(null) }).problems).toEqual(['1 of 1 processes run from outside the releases directory']);
  });
});

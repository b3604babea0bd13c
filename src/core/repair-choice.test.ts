import { describe, expect, it } from 'vitest';
import { judgeAgreement, type EnvironmentObservation } from './environment-agreement.js';
import { chooseRepair } from './repair-choice.js';

const choose = (observation: EnvironmentObservation) => chooseRepair(observation, judgeAgreement(observation));
const on = (...versions: (string | null)[]) => versions.map((version) => ({ version, where: `/srv/releases/${version}` }));

describe('chooseRepair: reconcile from what really serves', () => {
  it('follows the processes when they all serve one release (no restart)', () => {
    expect(choose({ ledger: '1.1.0', link: '1.0.0', served: on('1.1.0', '1.1.0') })).toMatchObject({ version: '1.1.0', action: 'relink' });
    expect(choose({ ledger: '1.0.0', link: '1.1.0', served: on('1.1.0') })).toMatchObject({ version: '1.1.0', action: 'record' });
  });

  it('activates one release again when a reload was cut short: the link\'s if it serves, else the majority', () => {
    expect(choose({ ledger: '2.0.0', link: '2.2.0', served: on('2.0.0', '2.0.0', '2.2.0') })).toMatchObject({ version: '2.2.0', action: 'activate' });
    expect(choose({ ledger: '2.0.0', link: '3.0.0', served: on('2.0.0', '2.0.0', '2.2.0') })).toMatchObject({ version: '2.0.0', action: 'activate' });
    expect(choose({ ledger: '2.0.0', link: '2.0.0', served: on('2.0.0', null) })).toMatchObject({ version: '2.0.0', action: 'activate' });
  });

  it('starts the recorded release when nothing serves, trusts the link when the runtime cannot tell', () => {
    expect(choose({ ledger: '1.0.0', link: '1.1.0', served: [] })).toMatchObject({ version: '1.0.0', action: 'activate' });
    expect(choose({ ledger: null, link: '1.1.0', served: [] })).toMatchObject({ version: '1.1.0', action: 'activate' });
    expect(choose({ ledger: '1.0.0', link: '1.1.0', served: null })).toMatchObject({ version: '1.1.0', action: 'record' });
    expect(choose({ ledger: null, link: null, served: [] })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { healthUrlOf, rolloutBatches } from './fleet-rollout.js';

describe('rolloutBatches', () => {
  const hosts = ['a', 'b', 'c', 'd', 'e'];
  it('one host at a time by default, a count, or a percentage rounded up', () => {
    expect(rolloutBatches(hosts, 1)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(rolloutBatches(hosts, 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(rolloutBatches(hosts, '25%')).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(rolloutBatches(hosts, '100%')).toEqual([hosts]);
    expect(rolloutBatches(hosts, 9)).toEqual([hosts]);
    expect(rolloutBatches(['a'], '1%')).toEqual([['a']]);
  });
});

describe('healthUrlOf', () => {
  it("fills {host} and {name}, and a host's own URL wins", () => {
    expect(healthUrlOf({ address: '10.0.0.2', name: 'web2' }, 'http://{host}:3000/health?n={name}')).toBe('http://10.0.0.2:3000/health?n=web2');
    expect(healthUrlOf({ address: '10.0.0.2', name: 'web2', healthUrl: 'http://x/h' }, 'http://{host}/')).toBe('http://x/h');
    expect(healthUrlOf({ address: '10.0.0.2', name: 'web2' }, undefined)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { pickJsonPath } from './json-path.js';

describe('pickJsonPath', () => {
  const body = JSON.parse('{"status":"ok","checks":{"db":"up"},"items":[{"id":7}],"constructor":{"own":true},"__proto__":{"x":1}}') as unknown;

  it('reads dotted paths through objects and arrays', () => {
    expect(pickJsonPath(body, 'status')).toBe('ok');
    expect(pickJsonPath(body, 'checks.db')).toBe('up');
    expect(pickJsonPath(body, 'items.0.id')).toBe(7);
    expect(pickJsonPath(body, 'items.length')).toBe(1);
    expect(pickJsonPath(body, 'checks.nope')).toBeUndefined();
    expect(pickJsonPath(body, 'status.length.x')).toBeUndefined();
  });

  it('sees only what the body holds: no member of Object.prototype or Array.prototype', () => {
    for (const path of ['toString', 'checks.constructor', 'checks.constructor.name', 'checks.hasOwnProperty', 'checks.__proto__', 'items.map', 'items.0.valueOf']) {
      expect(pickJsonPath(body, path), path).toBeUndefined();
    }
    // Keys the body really has are read like any other, even these names.
    expect(pickJsonPath(body, 'constructor.own')).toBe(true);
    expect(pickJsonPath(body, '__proto__.x')).toBe(1);
  });
});

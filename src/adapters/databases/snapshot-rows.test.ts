import { describe, expect, it } from 'vitest';
import { jsonSafeRow, stableRows } from './snapshot-rows.js';

describe('jsonSafeRow', () => {
  it('keeps a column named __proto__ as a column, not as the prototype of the row', () => {
    // A driver row with such a column has it as an own property, as JSON.parse makes it.
    const row = JSON.parse('{"id": 1, "__proto__": {"polluted": true}, "constructor": "c"}') as Record<string, unknown>;
    const safe = jsonSafeRow(row);
    expect(Object.entries(safe)).toEqual([
      ['id', 1],
      ['__proto__', { polluted: true }],
      ['constructor', 'c'],
    ]);
    expect((safe as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(stableRows([row]))).toBe('[{"id":1,"__proto__":{"polluted":true},"constructor":"c"}]');
  });
});

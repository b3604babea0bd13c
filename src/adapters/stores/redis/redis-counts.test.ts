import { describe, expect, it } from 'vitest';
import { prefixPattern } from './redis-keys.js';
import { compareCounts } from './redis-store.js';

describe('redis key counts', () => {
  it('compares key counts after a restore: fewer keys up to those with a TTL expired, anything else is a mismatch', () => {
    const recorded = { keyCounts: { 'sess:': { keys: 10, volatile: 2 }, 'cart:': { keys: 4, volatile: 0 } } };
    expect(compareCounts(recorded, { 'sess:': { keys: 8, volatile: 0 }, 'cart:': { keys: 4, volatile: 0 } })).toEqual({ expired: { 'sess:': 2 }, problems: [] });
    expect(compareCounts(recorded, { 'sess:': { keys: 7, volatile: 0 }, 'cart:': { keys: 5, volatile: 0 } }).problems).toEqual([
      'sess:: 7 keys, the snapshot recorded 10 of which only 2 had a TTL',
      'cart:: 5 keys, the snapshot recorded 4',
    ]);
  });

  it('scans a prefix literally: glob characters in it are escaped', () => {
    expect(prefixPattern('sess:')).toBe('sess:*');
    expect(prefixPattern('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\*');
  });
});

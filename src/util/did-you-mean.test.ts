import { describe, expect, it } from 'vitest';
import { closestMatches, didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['deploy', 'deploy', 0],
    ['deplyo', 'deploy', 1], // a swap of neighbours is one edit
    ['dryrun', 'dry-run', 1],
    ['kep', 'keep', 1],
    ['helth', 'health', 1],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // optimal string alignment: a swapped pair is not edited again
  ])('%j → %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestMatches', () => {
  const commands = ['init', 'config', 'release', 'deploy', 'rollback', 'advise', 'status', 'history', 'smoke', 'resume', 'repair', 'db', 'unlock', 'lint', 'demo'];

  it.each([
    ['deplyo', ['deploy']],
    ['stauts', ['status']],
    ['rolback', ['rollback']],
    ['Deploy', ['deploy']], // case is ignored
    ['hist', ['history']], // a prefix, when nothing is within typo distance
    ['frobnicate', []],
    ['x', []],
    ['', []],
  ])('%j among the commands → %j', (word, expected) => {
    expect(closestMatches(word, commands)).toEqual(expected);
  });

  it('returns every candidate at the nearest distance, in the candidates\' order, and no farther one', () => {
    expect(closestMatches('--dryrun', ['--json', '--dry-run', '--yes'])).toEqual(['--dry-run']);
    expect(closestMatches('--no', ['--no-baseline', '--no-auto-rollback', '--json'])).toEqual(['--no-baseline', '--no-auto-rollback']);
    expect(closestMatches('bat', ['cat', 'hat', 'rat', 'mat'], 2)).toEqual(['cat', 'hat']);
  });

  it('stays quiet for short words that are merely short (one edit at most under six characters)', () => {
    expect(closestMatches('ab', ['db'])).toEqual(['db']);
    expect(closestMatches('bogus', ['type', 'path', 'keep', 'runtime', 'slots'])).toEqual([]);
    expect(closestMatches('url', ['uri', 'urn'])).toEqual(['uri', 'urn']);
    expect(closestMatches('port', ['path'])).toEqual([]);
  });

  it('an exact match is the nearest (a caller may ask with a rewritten word: -dry-run as --dry-run)', () => {
    expect(closestMatches('--dry-run', ['--dry-run', '--dry-runs'])).toEqual(['--dry-run']);
  });
});

describe('didYouMean', () => {
  it('joins one, two or three matches as a question, and says nothing for none', () => {
    expect(didYouMean(['deploy'])).toBe('did you mean deploy?');
    expect(didYouMean(['--yes', '--json'])).toBe('did you mean --yes or --json?');
    expect(didYouMean(['a', 'b', 'c'])).toBe('did you mean a, b or c?');
    expect(didYouMean([])).toBeUndefined();
  });
});

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, quoteArgv } from './shell-quote.js';

// What the remote shell makes of a quoted argv: run it through a real sh and print each argument.
const parsed = (line: string): string[] => {
  const result = spawnSync('sh', ['-c', `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.split('\0').slice(0, -1);
};

describe('quote (POSIX single quotes for ssh command strings)', () => {
  it('wraps every argument in single quotes, and closes, escapes and reopens for a single quote', () => {
    expect(quote('plain')).toBe("'plain'");
    expect(quote('')).toBe("''");
    expect(quote("it's")).toBe("'it'\\''s'");
  });

  it('gives back exactly the argv after a real sh parses it, whatever the characters', () => {
    const hostile = ['a b', "it's", '$(touch /tmp/pwned)', '`id`', '; rm -rf /', '"$HOME"', '*', 'new\nline', '\\', "''", '-rf', '', 'ünïcödé', '{a,b}', '~', '#c', '|&<>'];
    expect(parsed(quoteArgv(hostile))).toEqual(hostile);
  });

  it('refuses what no shell string can carry (NUL) and an empty argv', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
    expect(() => quoteArgv([])).toThrow(/empty argv/);
  });
});

import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.js';

describe('Redactor', () => {
  it('replaces every occurrence of every registered secret', () => {
    const r = new Redactor();
    r.add('hunter2-pw');
    r.add('tok_ABCDEF');
    expect(r.redact('pw=hunter2-pw token=tok_ABCDEF again hunter2-pw')).toBe('pw=*** token=*** again ***');
  });

  it('leaves text alone when nothing is registered or nothing matches', () => {
    const r = new Redactor();
    expect(r.redact('postgres://u:p@h/db')).toBe('postgres://u:p@h/db');
    r.add('some-secret');
    expect(r.redact('nothing to hide here')).toBe('nothing to hide here');
  });

  it('ignores empty, undefined and very short secrets, which would redact ordinary words', () => {
    const r = new Redactor();
    r.add(undefined);
    r.add('');
    r.add('abc');
    expect(r.redact('abc abcd')).toBe('abc abcd');
    r.add('abcd');
    expect(r.redact('abc abcd')).toBe('abc ***');
  });

  it('treats secrets as literal text, not as patterns', () => {
    const r = new Redactor();
    r.add('a.b*c+(d)$');
    expect(r.redact('x a.b*c+(d)$ y aXbbbc+(d)')).toBe('x *** y aXbbbc+(d)');
  });

  it('registers the password of a URL, both percent-encoded and decoded', () => {
    const r = new Redactor();
    r.addUrlPassword('postgres://rewind:p%40ss%3Aword@db.internal:5432/rewind');
    expect(r.redact('postgres://rewind:p%40ss%3Aword@db.internal:5432/rewind')).toBe('postgres://rewind:***@db.internal:5432/rewind');
    expect(r.redact('password is p@ss:word')).toBe('password is ***');
    // The user name and host are not secrets.
    expect(r.redact('rewind db.internal')).toBe('rewind db.internal');
  });

  it('registers nothing for a URL without a password or a string that is not a URL', () => {
    const r = new Redactor();
    r.addUrlPassword('postgres://rewind@db.internal/rewind');
    r.addUrlPassword('./rewind.db');
    r.addUrlPassword('not a url at all');
    expect(r.redactValue({ a: 'rewind db.internal ./rewind.db not a url at all' })).toEqual({ a: 'rewind db.internal ./rewind.db not a url at all' });
  });

  it('redactValue deep-copies objects and arrays with every string redacted, leaving other types and the input alone', () => {
    const r = new Redactor();
    r.add('s3cr3t-value');
    const input = {
      message: 'failed with s3cr3t-value',
      nested: { argv: ['curl', '-H', 'Authorization: s3cr3t-value'], count: 3, ok: false, none: null },
      list: [{ header: 's3cr3t-value' }, 7],
    };
    const output = r.redactValue(input);
    expect(output).toEqual({
      message: 'failed with ***',
      nested: { argv: ['curl', '-H', 'Authorization: ***'], count: 3, ok: false, none: null },
      list: [{ header: '***' }, 7],
    });
    expect(input.message).toBe('failed with s3cr3t-value');
    expect(input.nested.argv[2]).toBe('Authorization: s3cr3t-value');
    expect(JSON.stringify(output)).not.toContain('s3cr3t-value');
  });

  it('redacts a secret that contains another secret completely', () => {
    const r = new Redactor();
    r.add('token');
    r.add('token-extended-1234');
    expect(r.redact('x token-extended-1234 y')).not.toMatch(/token|extended|1234/);
  });
});

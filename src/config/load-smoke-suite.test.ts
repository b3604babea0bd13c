import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { loadSmokeSuite } from './load-smoke-suite.js';

describe('loadSmokeSuite and __proto__ keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-smoke-suite-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const suite = (extra: string) => `name: t
variables:
  who: someone${extra}
steps:
  - name: me
    request:
      url: http://127.0.0.1:9/me
      headers:
        x-a: b
`;

  it('refuses __proto__ as a variable or a header name, naming the path (zod would drop it unseen)', async () => {
    const file = join(dir, 'proto.yaml');
    await writeFile(file, suite('\n  __proto__: x').replace('        x-a: b\n', '        x-a: b\n        __proto__: { polluted: yes }\n'));
    let error: unknown;
    try {
      loadSmokeSuite(file, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RewindError);
    expect(error).toMatchObject({
      code: 'REWIND_E_CONFIG_INVALID',
      details: {
        path: file,
        problems: [
          'variables.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)',
          'steps.0.request.headers.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)',
        ],
      },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('loads the same suite without those keys', async () => {
    const file = join(dir, 'plain.yaml');
    await writeFile(file, suite(''));
    expect(loadSmokeSuite(file, {})).toMatchObject({ name: 't', variables: { who: 'someone' }, steps: [{ name: 'me', request: { headers: { 'x-a': 'b' } } }] });
  });

  it('a suite file that is not there, or is a directory: REWIND_E_SMOKE_SUITE_NOT_FOUND naming it, not a config-key error', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadSmokeSuite(missing, {})).toThrow(expect.objectContaining({ code: 'REWIND_E_SMOKE_SUITE_NOT_FOUND', message: `the smoke suite file ${missing} does not exist`, details: { path: missing } }));
    expect(() => loadSmokeSuite(dir, {})).toThrow(expect.objectContaining({ code: 'REWIND_E_SMOKE_SUITE_NOT_FOUND', message: `the smoke suite file ${dir} cannot be read (EISDIR)` }));
  });

  it('says what to write, as for the config: the nearest key, and a quoted status code (a number or a list of them)', async () => {
    const file = join(dir, 'typo.yaml');
    await writeFile(file, 'name: t\nsteps:\n  - name: a\n    request: { url: /x }\n    expct: { status: 200 }\n  - name: b\n    request: { url: /y }\n    expect: { status: "200" }\n');
    expect(() => loadSmokeSuite(file, {})).toThrow(
      expect.objectContaining({
        code: 'REWIND_E_CONFIG_INVALID',
        details: { path: file, problems: ['steps.0.expct: unknown key; did you mean expect?', 'steps.1.expect.status: expected a number or a list, got a quoted string: remove the quotes (200)'] },
      }),
    );
  });

  it('parses by the config\'s YAML rules: a duplicated key and an alias bomb are refused, naming the suite, line and column', async () => {
    const refusal = async (name: string, text: string): Promise<RewindError> => {
      const file = join(dir, name);
      await writeFile(file, text);
      try {
        loadSmokeSuite(file, {});
      } catch (caught) {
        return caught as RewindError;
      }
      throw new Error(`${name} was loaded`);
    };
    const duplicate = await refusal('duplicate.yaml', suite('').replace('name: t\n', 'name: t\nname: u\n'));
    expect(duplicate).toMatchObject({ code: 'REWIND_E_CONFIG_YAML', details: { path: join(dir, 'duplicate.yaml'), line: 2, column: 1 } });
    expect(duplicate.message).toBe(`smoke suite ${join(dir, 'duplicate.yaml')} is not valid YAML (line 2, column 1): duplicated mapping key (map keys must be unique)`);
    // Nine levels of nine aliases: 9^9 nodes from a few hundred bytes ("billion laughs").
    const levels = ['l0: &l0 [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`)];
    const bomb = await refusal('bomb.yaml', `${suite('')}${levels.map((l) => `x-${l}`).join('\n')}\n`);
    expect(bomb.code).toBe('REWIND_E_CONFIG_TOO_LARGE');
    expect(bomb.message).toMatch(new RegExp(`^smoke suite ${join(dir, 'bomb.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is too large \\(line \\d+, column \\d+\\): with alias \\*l\\d`));
  });
});


import { describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { parseConfigText } from './load-config.js';

// What `rewind config check` says about a config that parses but does not fit the schema: each line
// names the key path and what to write instead. YAML 1.2 core schema: 1.10 is the number 1.1,
// 0x1F is 31, 012 is 12, ~ is null, and yes/no/on/off are strings (only true/false are booleans).

const base = (runtime = '', extra = '') => `version: 1
environments:
  production:
    target:
      type: releases
      path: ./srv
      runtime:
        type: pm2
        name: app
${runtime}${extra}`;

const problems = (text: string): string[] => parseRefusal(text, {});

function parseRefusal(text: string, vars: NodeJS.ProcessEnv): string[] {
  try {
    parseConfigText(text, '/etc/rewind', vars);
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    expect((error as RewindError).code).toBe('REWIND_E_CONFIG_INVALID');
    return (error as RewindError).details.problems as string[];
  }
  throw new Error('the config was accepted');
}

const env = (lines: string) => `        env:\n${lines.split('\n').map((l) => `          ${l}`).join('\n')}\n`;
const ENV_PATH = 'environments.production.target.runtime.env';

describe('a number, boolean or null where a string is expected', () => {
  it.each([
    ['PORT: 3000', `${ENV_PATH}.PORT: expected a string, got the number 3000: quote it ("3000")`],
    ['NODE_VERSION: 20.10', `${ENV_PATH}.NODE_VERSION: expected a string, got a number (YAML reads 20.10 as 20.1): quote it ("20.10")`],
    ['MASK: 0x1F', `${ENV_PATH}.MASK: expected a string, got a number (YAML reads 0x1F as 31): quote it ("0x1F")`],
    ['ZIP: 012', `${ENV_PATH}.ZIP: expected a string, got a number (YAML reads 012 as 12): quote it ("012")`],
    ['SCALE: 1e3', `${ENV_PATH}.SCALE: expected a string, got a number (YAML reads 1e3 as 1000): quote it ("1e3")`],
    ['LIMIT: .inf', `${ENV_PATH}.LIMIT: expected a string, got a number (YAML reads .inf as Infinity): quote it (".inf")`],
    ['DEBUG: true', `${ENV_PATH}.DEBUG: expected a string, got the boolean true: quote it ("true")`],
    ['DEBUG: True', `${ENV_PATH}.DEBUG: expected a string, got a boolean (YAML reads True as true): quote it ("True")`],
    ['MODE: ~', `${ENV_PATH}.MODE: expected a string, got null (YAML reads ~ as null): quote it ("~")`],
    ['MODE:', `${ENV_PATH}.MODE: expected a string, got an empty value: write one`],
  ])('%s', (line, expected) => {
    expect(problems(base(env(line)))).toEqual([expected]);
  });

  it('yes, no, on and off are strings in YAML 1.2: accepted where a string is expected', () => {
    const config = parseConfigText(base(env('A: yes\nB: no\nC: on\nD: off')), '/etc/rewind', {});
    expect(config.environments.production!.target.runtime).toMatchObject({ env: { A: 'yes', B: 'no', C: 'on', D: 'off' } });
  });

  it('under a %YAML 1.1 directive, yes is a boolean: quote it, as written', () => {
    expect(problems(`%YAML 1.1\n---\n${base(env('FEATURE: yes'))}`)).toEqual([`${ENV_PATH}.FEATURE: expected a string, got a boolean (YAML reads yes as true): quote it ("yes")`]);
  });

  it('a name that is a number: the PM2 process name', () => {
    expect(problems(base().replace('name: app', 'name: 123'))).toEqual(['environments.production.target.runtime.name: expected a string, got the number 123: quote it ("123")']);
  });

  it('never shows the value under a secret-looking key', () => {
    const lines = problems(base(env('API_TOKEN: 123456789\nDB_PASSWORD: 0x1F')));
    expect(lines).toEqual([`${ENV_PATH}.API_TOKEN: expected a string, got a number: quote the value`, `${ENV_PATH}.DB_PASSWORD: expected a string, got a number: quote the value`]);
    expect(lines.join('\n')).not.toMatch(/123456789|0x1F|31/);
  });

  it('in a flow sequence (an argv) the item is found by its index', () => {
    const runtime = base().replace('        type: pm2\n        name: app\n', '        type: command\n        start: [node, server.js, --port, 3000]\n        reload: [kill, -HUP, "1"]\n');
    expect(problems(runtime)).toEqual(['environments.production.target.runtime.start.3: expected a string, got the number 3000: quote it ("3000")']);
  });
});

describe('other type mix-ups', () => {
  it('a quoted number where a number is expected: remove the quotes', () => {
    expect(problems(base('        instances: "4"\n'))).toEqual(['environments.production.target.runtime.instances: expected a number, got a quoted string: remove the quotes (4)']);
  });

  it('a number that comes from ${VAR} is a string whatever the quotes: not "remove the quotes", and its value not shown', () => {
    const lines = parseRefusal(base('        instances: "${INSTANCES}"\n'), { INSTANCES: '4' });
    expect(lines).toEqual(['environments.production.target.runtime.instances: expected a number, got a string']);
  });

  it('quoted true where true or false is expected: remove the quotes', () => {
    expect(problems(base('', '    deploy:\n      autoRollback: "true"\n'))).toEqual(['environments.production.deploy.autoRollback: expected true or false, got a quoted string: remove the quotes (true)']);
  });

  it('a fraction where a whole number is expected', () => {
    expect(problems(base('        instances: 1.5\n'))).toEqual(['environments.production.target.runtime.instances: expected a whole number, got 1.5']);
  });

  it('yes where true or false is expected: YAML 1.2 reads it as a string', () => {
    expect(problems(base('', '    deploy:\n      autoRollback: yes\n'))).toEqual([
      'environments.production.deploy.autoRollback: expected true or false, got the string "yes" (YAML 1.2 reads only true and false as booleans): write true or false',
    ]);
  });

  it('a string where a list is expected', () => {
    const runtime = base().replace('        type: pm2\n        name: app\n', '        type: command\n        start: node server.js\n        reload: [kill, -HUP, "1"]\n');
    expect(problems(runtime)).toEqual(['environments.production.target.runtime.start: expected a list, got a string']);
  });
});

describe('unknown keys and values: the nearest known one, else the keys known there', () => {
  it('suggests the key a typo is nearest to, at every depth', () => {
    const text = base('        execmode: fork\n', '    helth:\n      url: http://127.0.0.1:3000/health\n').replace('version: 1', 'version: 1\nledgr: ./x.db').replace('      path: ./srv', '      path: ./srv\n      kep: 3');
    expect(problems(text)).toEqual([
      'environments.production.target.runtime.execmode: unknown key; did you mean execMode?',
      'environments.production.target.kep: unknown key; did you mean keep?',
      'environments.production.helth: unknown key; did you mean health?',
      'ledgr: unknown key; did you mean ledger?',
    ]);
  });

  it('lists the keys known there when nothing is near, from the branch the union chose (runtime type command)', () => {
    const runtime = base().replace('        type: pm2\n        name: app\n', '        type: command\n        start: [node, server.js]\n        reload: [kill, -HUP, "1"]\n        frobnicate: 1\n        reloadd: [x]\n');
    expect(problems(runtime)).toEqual([
      'environments.production.target.runtime.frobnicate: unknown key (known here: type, start, reload, stop, status, zeroDowntime, timeoutMs); environments.production.target.runtime.reloadd: unknown key; did you mean reload?',
    ]);
  });

  it('a value outside an enum, and a type tag the union does not know', () => {
    expect(problems(base('        execMode: clustr\n'))).toEqual(['environments.production.target.runtime.execMode: Invalid option: expected one of "cluster"|"fork"; did you mean cluster?']);
    expect(problems(base().replace('      type: releases', '      type: relases'))).toEqual(['environments.production.target.type: expected one of releases, compose, ecs, kubernetes, helm, railway, vercel; did you mean releases?']);
    expect(problems(base().replace('        type: pm2', '        type: pm3'))).toEqual(['environments.production.target.runtime.type: expected one of pm2, command; did you mean pm2?']);
    expect(problems(base().replace('        type: pm2\n', ''))).toEqual(['environments.production.target.runtime.type: required: one of pm2, command']);
  });
});

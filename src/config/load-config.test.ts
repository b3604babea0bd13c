import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { redactor } from '../util/redact.js';
import { environmentConfig, loadConfig, parseConfigText, resolveConfigPath } from './load-config.js';
import { RESERVED_ENVIRONMENT_NAMES } from './config-schema.js';
import { STARTER_CONFIG } from './starter-config.js';

const BASE = `version: 1
environments:
  production:
    target:
      type: releases
      path: ./srv
      runtime:
        type: pm2
        name: app
`;

function refusal(run: () => unknown): RewindError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    return error as RewindError;
  }
  throw new Error('expected a RewindError');
}

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseConfigText(text, '/etc/rewind', env);
const problems = (text: string, env: NodeJS.ProcessEnv = {}) => {
  const error = refusal(() => parse(text, env));
  expect(error.code).toBe('REWIND_E_CONFIG_INVALID');
  return error.details.problems as string[];
};

describe('parseConfigText', () => {
  it('fills every default of a minimal config', () => {
    const config = parse(BASE);
    expect(config).toEqual({
      version: 1,
      ledger: '/etc/rewind/rewind.db',
      log: { file: '/etc/rewind/rewind-events.log' },
      artifacts: { store: '/etc/rewind/rewind-artifacts' },
      drills: { maxAgeDays: 90 },
      environments: {
        production: {
          target: {
            type: 'releases',
            path: '/etc/rewind/srv',
            keep: 5,
            runtime: { type: 'pm2', name: 'app', script: 'server.js', execMode: 'cluster', instances: 1, env: {}, listenTimeoutMs: 8000, killTimeoutMs: 5000, busyTimeoutMs: 60000 },
          },
          deploy: { autoRollback: true, baselineHealth: true, minFreeMb: 100 },
          lock: { ttlMs: 60000 },
        },
      },
    });
  });

  it('puts the artifact store beside a SQLite ledger, beside the config file for a postgres:// ledger, or where artifacts.store says', () => {
    expect(parse(`ledger: /var/lib/rewind/ledger.db\n${BASE}`).artifacts).toEqual({ store: '/var/lib/rewind/rewind-artifacts' });
    expect(parse(`ledger: state/rewind.db\n${BASE}`).artifacts).toEqual({ store: '/etc/rewind/state/rewind-artifacts' });
    expect(parse(`ledger: postgres://rewind@db:5432/rewind\n${BASE}`).artifacts).toEqual({ store: '/etc/rewind/rewind-artifacts' });
    expect(parse(`artifacts:\n  store: ./kept\n${BASE}`).artifacts).toEqual({ store: '/etc/rewind/kept' });
    expect(parse(`artifacts: { store: /srv/rewind-store }\n${BASE}`).artifacts).toEqual({ store: '/srv/rewind-store' });
    expect(problems(`artifacts: { store: '' }\n${BASE}`)).toEqual([expect.stringMatching(/^artifacts\.store: /)]);
    expect(problems(`artifacts: { keep: 3 }\n${BASE}`)).toEqual(['artifacts.keep: unknown key (known here: store)']);
  });

  it('refuses malformed YAML with REWIND_E_CONFIG_YAML and the line', () => {
    const text = `${BASE}    health:\n      url: [unclosed\n`;
    const error = refusal(() => parse(text));
    expect(error.code).toBe('REWIND_E_CONFIG_YAML');
    expect(error.exitCode).toBe(2);
    expect(error.details.line).toBeTypeOf('number');
    expect(error.message).toMatch(new RegExp(`not valid YAML \\(line ${error.details.line as number}, column \\d+\\)`));
    expect(error.details.line as number).toBeGreaterThanOrEqual(10);
  });

  it('refuses tabs and duplicate keys as YAML errors on the offending line', () => {
    const tabs = refusal(() => parse('version: 1\nenvironments:\n\tproduction: {}\n'));
    expect(tabs).toMatchObject({ code: 'REWIND_E_CONFIG_YAML', details: { line: 3 } });
    const duplicate = refusal(() => parse(`${BASE}version: 1\n`));
    expect(duplicate).toMatchObject({ code: 'REWIND_E_CONFIG_YAML', details: { line: 10 } });
    expect(duplicate.message).toMatch(/unique/);
  });

  it('names an unknown key by its full dotted path', () => {
    const text = BASE.replace('      type: releases\n', '      type: releases\n      bogus: 1\n');
    expect(problems(text)).toEqual(['environments.production.target.bogus: unknown key (known here: type, path, keep, runtime, slots, hosts, ssh, rollout)']);
    expect(problems(`${BASE}extra: 1\n`)).toEqual(['extra: unknown key (known here: version, ledger, log, artifacts, drills, incidents, environments)']);
  });

  it('names a missing required key', () => {
    const error = refusal(() => parse(BASE.replace('      path: ./srv\n', '')));
    expect(error.code).toBe('REWIND_E_CONFIG_INVALID');
    expect(error.message).toContain('environments.production.target.path: required');
    expect(error.details.problems).toEqual(['environments.production.target.path: required']);
  });

  it('refuses an unknown runtime type, naming the key and the accepted types', () => {
    const [problem, ...rest] = problems(BASE.replace('type: pm2', 'type: docker'));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^environments\.production\.target\.runtime\.type: /);
    expect(problem).toContain('pm2');
    expect(problem).toContain('command');
  });

  it('refuses a value of the wrong type, naming the key', () => {
    const [problem] = problems(BASE.replace('name: app', 'name: app\n        instances: "two"'));
    expect(problem).toMatch(/^environments\.production\.target\.runtime\.instances: .*number/);
  });

  it('refuses a webhook event name rewind never emits, naming the entry (it would never fire)', () => {
    const notify = (events: string) => `${BASE}    notify:\n      webhooks:\n        - url: https://hooks.example.test/x\n          events: [${events}]\n`;
    const [problem, ...rest] = problems(notify('rollback_start, rollback_complet'));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^environments\.production\.notify\.webhooks\.0\.events\.1: /);
    expect(problem).toContain('rollback_complete');
    expect(parse(notify('rollback_start, rollback_complete')).environments.production!.notify!.webhooks[0]!.events).toEqual(['rollback_start', 'rollback_complete']);
  });

  it('lists every problem, not only the first', () => {
    const text = BASE.replace('      path: ./srv\n', '      keep: 0\n').replace('name: app', 'name: app\n        sript: x.js');
    expect(problems(text).sort()).toEqual(
      ['environments.production.target.keep: Too small: expected number to be >=1', 'environments.production.target.path: required', 'environments.production.target.runtime.sript: unknown key; did you mean script?'].sort(),
    );
  });

  it('refuses an empty file and an empty environments map', () => {
    expect(problems('')).toEqual(['environments: required']);
    expect(problems('environments: {}\n')).toEqual(['environments: at least one environment is required']);
  });

  it('refuses environment names outside the safe alphabet', () => {
    const [problem] = problems(BASE.replace('production:', '"../prod":'));
    expect(problem).toBe('environments.../prod: letters, digits, ".", "_" and "-" only, at most 63 characters');
  });

  it('refuses a health URL that is not http(s)', () => {
    expect(problems(`${BASE}    health:\n      url: ftp://example.com/health\n`)).toEqual(['environments.production.health.url: Invalid URL']);
  });

  it('refuses a health timeout of 0, which would fail every probe at once', () => {
    const health = (timeout: number) => `${BASE}    health:\n      url: http://127.0.0.1:3000/health\n      timeoutMs: ${timeout}\n`;
    const [problem] = problems(health(0));
    expect(problem).toMatch(/^environments\.production\.health\.timeoutMs: .*>=1/);
    expect(parse(health(1)).environments.production!.health!.timeoutMs).toBe(1);
  });

  it('interpolates ${VAR} before validating, so an interpolated number-as-string is still a string', () => {
    const config = parse(BASE.replace('path: ./srv', 'path: ${DEPLOY_ROOT:-/srv/default}'), { DEPLOY_ROOT: '/srv/shop' });
    expect(config.environments.production!.target.path).toBe('/srv/shop');
  });

  it('refuses a missing variable with REWIND_E_CONFIG_ENV_MISSING naming path and variable', () => {
    const error = refusal(() => parse(BASE.replace('name: app', 'name: ${APP_NAME}')));
    expect(error.code).toBe('REWIND_E_CONFIG_ENV_MISSING');
    expect(error.details).toEqual({ path: 'environments.production.target.runtime.name', variable: 'APP_NAME' });
  });

  it('resolves relative paths against the config directory and keeps absolute ones', () => {
    const text = `ledger: data/ledger.db
log:
  file: ../logs/events.log
environments:
  a:
    target:
      type: releases
      path: srv/a
      runtime: { type: pm2, name: a, pm2Home: .pm2 }
  b:
    target:
      type: releases
      path: /opt/b
      runtime: { type: command, start: [./bin/start], reload: [./bin/reload] }
`;
    const config = parseConfigText(text, '/etc/rewind', {});
    expect(config.ledger).toBe('/etc/rewind/data/ledger.db');
    expect(config.log.file).toBe('/etc/logs/events.log');
    expect(config.environments.a!.target.path).toBe('/etc/rewind/srv/a');
    expect(config.environments.a!.target.runtime).toMatchObject({ type: 'pm2', pm2Home: '/etc/rewind/.pm2' });
    expect(config.environments.b!.target.path).toBe('/opt/b');
    // argv is passed through as written: the command runtime runs it with the release as cwd.
    expect(config.environments.b!.target.runtime).toMatchObject({ type: 'command', start: ['./bin/start'], reload: ['./bin/reload'] });
  });

  it('keeps a postgres ledger URL as it is and registers its password for redaction', () => {
    const password = 'Pg-Secret-4711';
    const config = parse(`${BASE}ledger: postgres://rewind:${password}@db.internal:5432/rewind\n`);
    expect(config.ledger).toBe(`postgres://rewind:${password}@db.internal:5432/rewind`);
    expect(redactor.redact(`cannot open ledger ${config.ledger}`)).toBe('cannot open ledger postgres://rewind:***@db.internal:5432/rewind');
  });

  it('registers both forms of a percent-encoded ledger password', () => {
    parse(`${BASE}ledger: postgresql://rewind:pa%40ss%2Fword9@db/rewind\n`);
    expect(redactor.redact('pa%40ss%2Fword9')).toBe('***');
    expect(redactor.redact('pa@ss/word9')).toBe('***');
  });

  it('registers health header values and secret variables for redaction', () => {
    parse(`${BASE}    health:\n      url: http://127.0.0.1:3000/health\n      headers:\n        x-static: static-header-value\n        x-token: \${OPS_TOKEN}\n`, {
      OPS_TOKEN: 'tok-from-env-99',
    });
    expect(redactor.redact('a static-header-value b tok-from-env-99 c')).toBe('a *** b *** c');
  });

  it('does not register secrets from a config that failed validation', () => {
    expect(() => parse(`${BASE}bogus: \${ANOTHER_TOKEN}\n`, { ANOTHER_TOKEN: 'never-registered-token' })).toThrow(RewindError);
    expect(redactor.redact('never-registered-token')).toBe('never-registered-token');
  });

  it('accepts the starter config written by `rewind init`', () => {
    const config = parse(STARTER_CONFIG);
    expect(Object.keys(config.environments)).toEqual(['production']);
    expect(config.environments.production!.health?.json).toEqual({ status: 'ok', version: '{{version}}' });
  });
});

describe('hostile names and keys in rewind.yaml', () => {
  const unpolluted = () => {
    const probe = {} as Record<string, unknown>;
    for (const key of ['target', 'polluted', 'evil', 'runtime', 'url']) expect(probe[key], key).toBeUndefined();
  };

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'])('refuses an environment named %s, naming the key', (name) => {
    expect(problems(BASE.replace('production:', `${name}:`))).toEqual([
      `environments.${name}: reserved: ${RESERVED_ENVIRONMENT_NAMES.join(', ')} are members of every JavaScript object, not environment names`,
    ]);
  });

  it('reserves every member of Object.prototype that the name alphabet would let through', () => {
    const passAlphabet = Object.getOwnPropertyNames(Object.prototype).filter((member) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(member));
    expect([...RESERVED_ENVIRONMENT_NAMES].sort()).toEqual(passAlphabet.sort());
    // Only the exact names: another spelling is an ordinary own key.
    expect(Object.keys(parse(BASE.replace('production:', 'Constructor:')).environments)).toEqual(['Constructor']);
  });

  it('refuses an environment named __proto__ (which zod would drop unseen), also beside a valid one', () => {
    const alone = BASE.replace('production:', '__proto__:');
    expect(problems(alone)).toEqual(['environments.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)']);
    const beside = `${BASE}${BASE.split('environments:\n')[1]!.replace('production:', '__proto__:')}`;
    expect(problems(beside)).toEqual(['environments.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)']);
    expect(problems('environments: { __proto__: { target: { polluted: true } } }\n')).toEqual([
      'environments.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)',
    ]);
    unpolluted();
  });

  it('refuses __proto__ inside maps of strings (runtime.env, health.headers, migrations.env), naming every path', () => {
    const text = `${BASE.replace('name: app', 'name: app\n        env:\n          __proto__: { polluted: yes }\n          PORT: "3000"')}    health:
      url: http://127.0.0.1:3000/health
      headers:
        __proto__: evil
    database:
      engine: sqlite
      path: ./app.db
      migrations:
        tool: prisma
        dir: prisma/migrations
        apply: [npx, prisma, migrate, deploy]
        env:
          __proto__: \${EVIL:-x}
`;
    expect(problems(text)).toEqual([
      'environments.production.target.runtime.env.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)',
      'environments.production.health.headers.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)',
      'environments.production.database.migrations.env.__proto__: "__proto__" is not allowed as a key (JavaScript objects reserve it for their prototype)',
    ]);
    unpolluted();
  });

  it('a config that is valid looks environments up by own name only', () => {
    const config = parse(BASE);
    expect(Object.getPrototypeOf(config.environments)).toBeNull();
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(refusal(() => environmentConfig(config, name))).toMatchObject({ code: 'REWIND_E_UNKNOWN_ENV', details: { env: name, known: 'production' } });
    }
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-load-config-'));
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'rewind.yaml'), BASE);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads a file and resolves its relative paths against the directory it is in', () => {
    const { config, path } = loadConfig(join(dir, 'conf', 'rewind.yaml'), {});
    expect(path).toBe(join(dir, 'conf', 'rewind.yaml'));
    expect(config.ledger).toBe(join(dir, 'conf', 'rewind.db'));
    expect(config.environments.production!.target.path).toBe(join(dir, 'conf', 'srv'));
  });

  it('refuses a file that does not exist with REWIND_E_CONFIG_NOT_FOUND', () => {
    const error = refusal(() => loadConfig(join(dir, 'nope.yaml'), {}));
    expect(error.code).toBe('REWIND_E_CONFIG_NOT_FOUND');
    expect(error.message).toContain(join(dir, 'nope.yaml'));
  });

  it('resolveConfigPath prefers --config, then $REWIND_CONFIG, then ./rewind.yaml', () => {
    expect(resolveConfigPath('/x/explicit.yaml', { REWIND_CONFIG: '/y/env.yaml' })).toBe('/x/explicit.yaml');
    expect(resolveConfigPath(undefined, { REWIND_CONFIG: '/y/env.yaml' })).toBe('/y/env.yaml');
    expect(resolveConfigPath(undefined, {})).toBe(resolve('rewind.yaml'));
  });

  it('environmentConfig refuses an unknown environment, listing the known ones', () => {
    const { config } = loadConfig(join(dir, 'conf', 'rewind.yaml'), {});
    const error = refusal(() => environmentConfig(config, 'staging'));
    expect(error.code).toBe('REWIND_E_UNKNOWN_ENV');
    expect(error.message).toContain('"staging"');
    expect(error.details).toEqual({ env: 'staging', known: 'production' });
  });
});

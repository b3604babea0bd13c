import { describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { interpolateEnv } from './interpolate.js';

function missing(document: unknown, env: NodeJS.ProcessEnv): RewindError {
  try {
    interpolateEnv(document, env);
  } catch (error) {
    expect(error).toBeInstanceOf(RewindError);
    return error as RewindError;
  }
  throw new Error('interpolateEnv did not throw');
}

describe('interpolateEnv', () => {
  it('replaces ${VAR} in nested strings and leaves other values alone', () => {
    const document = {
      ledger: 'postgres://rewind@${DB_HOST}:5432/rewind',
      environments: { production: { target: { path: '/srv/${APP}', keep: 5, runtime: { start: ['run', '${APP}-${APP}'] } } } },
      flag: true,
      nothing: null,
    };
    const { value, secrets } = interpolateEnv(document, { DB_HOST: 'db.internal', APP: 'shop' });
    expect(value).toEqual({
      ledger: 'postgres://rewind@db.internal:5432/rewind',
      environments: { production: { target: { path: '/srv/shop', keep: 5, runtime: { start: ['run', 'shop-shop'] } } } },
      flag: true,
      nothing: null,
    });
    expect(secrets).toEqual([]);
    // The input document is not mutated.
    expect(document.ledger).toBe('postgres://rewind@${DB_HOST}:5432/rewind');
  });

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('${%s} is an unset variable, in a plain object and in process.env', (name) => {
    for (const env of [{}, process.env]) {
      expect(missing({ a: { b: `x-\${${name}}` } }, env).details).toEqual({ path: 'a.b', variable: name });
      expect(interpolateEnv({ a: `\${${name}:-fallback}` }, env).value).toEqual({ a: 'fallback' });
    }
    // A variable of that name that is really set is found like any other.
    expect(interpolateEnv({ a: `\${${name}}` }, { [name]: 'own value' }).value).toEqual({ a: 'own value' });
  });

  it('uses the default of ${VAR:-default} only when the variable is unset or empty', () => {
    expect(interpolateEnv({ a: '${PORT:-3000}' }, {}).value).toEqual({ a: '3000' });
    expect(interpolateEnv({ a: '${PORT:-3000}' }, { PORT: '8080' }).value).toEqual({ a: '8080' });
    // Shell semantics of `:-`: an exported but empty variable also takes the default.
    expect(interpolateEnv({ a: '${PORT:-3000}' }, { PORT: '' }).value).toEqual({ a: '3000' });
    // An empty default is allowed and gives the empty string.
    expect(interpolateEnv({ a: 'x${SUFFIX:-}y' }, {}).value).toEqual({ a: 'xy' });
    // Without a default, a set-but-empty variable is used as it is.
    expect(interpolateEnv({ a: 'x${EMPTY}y' }, { EMPTY: '' }).value).toEqual({ a: 'xy' });
  });

  it('reads $${ as a literal ${ and does not interpolate after it', () => {
    const { value } = interpolateEnv({ a: 'cost $${HOME} and ${X}' }, { HOME: '/root', X: 'x' });
    expect(value).toEqual({ a: 'cost ${HOME} and x' });
  });

  it('does not interpolate inside an already substituted value', () => {
    expect(interpolateEnv({ a: '${A}' }, { A: '${B}', B: 'no' }).value).toEqual({ a: '${B}' });
  });

  it('refuses a missing variable with REWIND_E_CONFIG_ENV_MISSING naming the dotted path and the variable', () => {
    const error = missing({ environments: { production: { health: { headers: { 'x-token': 'Bearer ${OPERATOR_TOKEN}' } } } } }, { OTHER: '1' });
    expect(error.code).toBe('REWIND_E_CONFIG_ENV_MISSING');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('environments.production.health.headers.x-token: environment variable OPERATOR_TOKEN is not set');
    expect(error.details).toEqual({ path: 'environments.production.health.headers.x-token', variable: 'OPERATOR_TOKEN' });
  });

  it('names array elements by index in the path', () => {
    const error = missing({ environments: { web: { target: { runtime: { start: ['systemctl', '${UNIT}'] } } } } }, {});
    expect(error.details).toEqual({ path: 'environments.web.target.runtime.start.1', variable: 'UNIT' });
  });

  it('names the root when the whole document is a string', () => {
    expect(missing('${NOPE}', {}).details).toEqual({ path: '(root)', variable: 'NOPE' });
  });

  it('returns values of secret-looking variables as secrets, and only those', () => {
    const env = {
      DB_PASSWORD: 'hunter2hunter2',
      API_TOKEN: 'tok-123456',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
      LEDGER_PASS: 'p4ssw0rd',
      BASIC_AUTH: 'user:pw-basic',
      DB_HOST: 'db.internal',
      PORT: '5432',
    };
    const { value, secrets } = interpolateEnv(
      {
        ledger: 'postgres://rw:${DB_PASSWORD}@${DB_HOST}:${PORT}/rw',
        headers: { a: '${API_TOKEN}', b: '${AWS_SECRET_ACCESS_KEY}', c: '${LEDGER_PASS}', d: '${BASIC_AUTH}' },
      },
      env,
    );
    expect(value).toEqual({
      ledger: 'postgres://rw:hunter2hunter2@db.internal:5432/rw',
      headers: { a: 'tok-123456', b: 'aws-secret-value', c: 'p4ssw0rd', d: 'user:pw-basic' },
    });
    expect(secrets.sort()).toEqual(['aws-secret-value', 'hunter2hunter2', 'p4ssw0rd', 'tok-123456', 'user:pw-basic'].sort());
    expect(secrets).not.toContain('db.internal');
    expect(secrets).not.toContain('5432');
  });

  it('treats a default given to a secret-looking variable as a secret too', () => {
    const { secrets } = interpolateEnv({ a: '${SERVICE_TOKEN:-fallback-token}' }, {});
    expect(secrets).toEqual(['fallback-token']);
  });
});

import { describe, expect, it } from 'vitest';
import { ERROR_REGISTRY } from './error-registry.js';
import { hintFor, inEnvironment, RewindError, toRewindError } from './rewind-error.js';

describe('RewindError hints', () => {
  it('fill in the environment the error is about, in the text and in toJSON', () => {
    const error = new RewindError('REWIND_E_OPERATION_INTERRUPTED', 'deploy 1.0.0 → 1.1.0 on staging did not finish', { env: 'staging', operationId: 'op-1' });
    expect(ERROR_REGISTRY.REWIND_E_OPERATION_INTERRUPTED.hint).toContain('`rewind resume <env>`');
    expect(error.hint).toBe('An earlier operation did not finish: run `rewind resume staging` (or `rewind resume staging --abandon`).');
    expect(error.toJSON()).toMatchObject({ code: 'REWIND_E_OPERATION_INTERRUPTED', hint: error.hint, env: 'staging' });
  });

  it('fill in the release too, and leave what the error cannot know (<path>) for the operator', () => {
    const error = new RewindError('REWIND_E_RELEASE_NOT_FOUND', 'release 9.9.9 is not registered for staging', { env: 'staging', version: '9.9.9' });
    expect(error.hint).toBe('Register it first with `rewind release register staging 9.9.9 --artifact <path>`.');
  });

  it('keep the placeholder when the error does not carry the value (or carries something else than a name)', () => {
    expect(new RewindError('REWIND_E_NOTHING_TO_RESUME', 'no environment has an unfinished operation').hint).toBe(ERROR_REGISTRY.REWIND_E_NOTHING_TO_RESUME.hint);
    expect(hintFor('REWIND_E_LOCKED', { env: 42 })).toBe(ERROR_REGISTRY.REWIND_E_LOCKED.hint);
    expect(hintFor('REWIND_E_LOCKED', { env: '' })).toBe(ERROR_REGISTRY.REWIND_E_LOCKED.hint);
  });

  it('never fill a placeholder that is for the operator to choose, even when details has a field of that name', () => {
    const notFound = new RewindError('REWIND_E_CONFIG_NOT_FOUND', 'config file /etc/nope.yaml does not exist', { path: '/etc/nope.yaml' });
    expect(notFound.hint).toBe(ERROR_REGISTRY.REWIND_E_CONFIG_NOT_FOUND.hint);
    expect(notFound.hint).toContain('--config <path>');
  });

  it('quote a value a shell would split, so the command can be pasted as shown', () => {
    expect(hintFor('REWIND_E_DEPLOY_FAILED', { env: "it's odd" })).toBe("The release failed after activation and was not rolled back; run `rewind rollback 'it'\\''s odd'`.");
  });

  it('inEnvironment gives an error from a layer that did not know the environment its name, and so its hint', () => {
    const suite = new RewindError('REWIND_E_SMOKE_SUITE_NOT_FOUND', 'the smoke suite file /srv/smoke.yaml does not exist', { path: '/srv/smoke.yaml' });
    const named = inEnvironment(suite, 'staging') as RewindError;
    expect(named).toMatchObject({ code: 'REWIND_E_SMOKE_SUITE_NOT_FOUND', message: suite.message, details: { path: '/srv/smoke.yaml', env: 'staging' } });
    expect(named.hint).toContain('`environments.staging.smoke.suite`');
    // One that already names its environment, or is no RewindError, is left as it is.
    const locked = new RewindError('REWIND_E_LOCKED', 'environment production is locked', { env: 'production' });
    expect(inEnvironment(locked, 'staging')).toBe(locked);
    const plain = new Error('boom');
    expect(inEnvironment(plain, 'staging')).toBe(plain);
  });
});

describe('RewindError causes', () => {
  it('keeps the error it reports as Error.cause, and leaves it out of toJSON', () => {
    const driver = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const error = new RewindError('REWIND_E_DB_UNREACHABLE', 'cannot reach the database at 127.0.0.1:5432', { host: '127.0.0.1' }, { cause: driver });
    expect(error.cause).toBe(driver);
    expect(error.toJSON()).toEqual({ code: 'REWIND_E_DB_UNREACHABLE', message: 'cannot reach the database at 127.0.0.1:5432', hint: error.hint, host: '127.0.0.1' });
    expect('cause' in new RewindError('REWIND_E_DB_UNREACHABLE', 'no cause given')).toBe(false);
  });

  it('survives inEnvironment, and toRewindError makes the thrown value the cause', () => {
    const driver = new Error('boom');
    const named = inEnvironment(new RewindError('REWIND_E_DB_UNREACHABLE', 'down', {}, { cause: driver }), 'staging') as RewindError;
    expect(named.details.env).toBe('staging');
    expect(named.cause).toBe(driver);
    const wrapped = toRewindError(driver);
    expect(wrapped).toMatchObject({ code: 'REWIND_E_INTERNAL', message: 'boom' });
    expect(wrapped.cause).toBe(driver);
  });
});

import { describe, expect, it } from 'vitest';
import { RewindError } from '../errors/rewind-error.js';
import { ConfigSecrets, configSecretValues, databasePasswordRef, migrationsEnvRefs, secretPath } from './config-secrets.js';
import { parseConfigText } from './load-config.js';
import { isSecretName } from './parts/secret-policy.js';

const config = (envName: string, extra: string, runtimeEnv = '{}') =>
  parseConfigText(
    `ledger: postgres://rewind:ledger-pw-1@db:5432/rewind
environments:
  ${envName}:
    target:
      type: releases
      path: ./srv
      runtime: { type: pm2, name: app, env: ${runtimeEnv} }
${extra}`,
    '/etc/rewind',
    {},
  );

const DATABASE = `    database:
      engine: postgres
      url: postgres://app:p%40ss-w0rd@db:5432/shop
      migrations:
        tool: prisma
        dir: prisma/migrations
        apply: [npx, prisma, migrate, deploy]
        env: { DATABASE_URL: "postgres://app:mig-pw-22@db/shop", PGUSER: postgres, PGHOST: 127.0.0.1 }
`;

describe('secret references', () => {
  it('name a config key, quoting keys that are not plain (an environment may be called eu.prod)', () => {
    expect(databasePasswordRef('staging')).toEqual({ secret: 'environments.staging.database.url#password' });
    expect(secretPath(['environments', 'eu.prod', 'database', 'url'], 'password')).toBe('environments["eu.prod"].database.url#password');
    expect(migrationsEnvRefs('eu.prod', { DATABASE_URL: 'x' })).toEqual({ DATABASE_URL: { secret: 'environments["eu.prod"].database.migrations.env.DATABASE_URL' } });
  });

  it('resolve from the loaded config: the database password decoded, as the tools get it, and migrations.env values', () => {
    const secrets = new ConfigSecrets(config('eu.prod', DATABASE));
    expect(secrets.resolve(databasePasswordRef('eu.prod'))).toBe('p@ss-w0rd');
    expect(secrets.resolve(migrationsEnvRefs('eu.prod', { DATABASE_URL: '' }).DATABASE_URL!)).toBe('postgres://app:mig-pw-22@db/shop');
  });

  it('refuse a reference the config does not have (a stored plan after the config changed), naming the key and no value', () => {
    const secrets = new ConfigSecrets(config('staging', DATABASE));
    let error: unknown;
    try {
      secrets.resolve({ secret: 'environments.production.database.url#password' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RewindError);
    expect((error as RewindError).code).toBe('REWIND_E_CONFIG_INVALID');
    expect((error as RewindError).message).toContain('environments.production.database.url#password');
    // Only places handed to commands can be referenced: not, say, the ledger URL.
    expect(() => secrets.resolve({ secret: 'ledger#password' })).toThrow(RewindError);
  });
});

describe('configSecretValues: what the config holds that is secret', () => {
  it('finds URL passwords, header values, secret-named env entries and the secret part of webhook URLs', () => {
    const values = configSecretValues(
      config(
        'staging',
        `${DATABASE}    health: { url: "http://probe:health-pw-3@127.0.0.1:3000/health", headers: { x-operator-token: op-token-4 } }
    notify:
      webhooks:
        - url: "https://hookuser:hook-pw-5@hooks.example.com/services/T0/B0/hookpath6?token=hookquery7"
          headers: { x-signature: sig-header-8 }
          signingSecret: signing-secret-12-abcdef
`,
        '{ NODE_ENV: production, STRIPE_SECRET_KEY: sk-literal-9, REDIS_URL: "redis://:redis-pw-10@cache:6379", SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x11" }',
      ),
    );
    for (const secret of [
      'ledger-pw-1',
      'p%40ss-w0rd',
      'p@ss-w0rd',
      'postgres://app:mig-pw-22@db/shop',
      'mig-pw-22',
      'health-pw-3',
      'op-token-4',
      'hookuser',
      'hook-pw-5',
      '/services/T0/B0/hookpath6?token=hookquery7',
      Buffer.from('hookuser:hook-pw-5').toString('base64'),
      'sig-header-8',
      'signing-secret-12-abcdef',
      'sk-literal-9',
      'redis-pw-10',
      'https://hooks.slack.com/services/T/B/x11',
    ]) {
      expect(values, secret).toContain(secret);
    }
    // Ordinary values under ordinary names stay printable: redacting them would mask words everywhere.
    for (const plain of ['production', 'postgres', '127.0.0.1', 'hooks.example.com']) expect(values).not.toContain(plain);
  });

  it('judges names in one place: the documented secret-looking names, webhook URLs and DSNs included', () => {
    for (const name of ['API_TOKEN', 'STRIPE_SECRET_KEY', 'DB_PASSWORD', 'PGPASS', 'AWS_CREDENTIALS', 'BASIC_AUTH', 'SENTRY_DSN', 'DATABASE_URL', 'SLACK_WEBHOOK_URL', 'PRIVATE_PEM']) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ['PORT', 'NODE_ENV', 'PGHOST', 'PGUSER', 'LOG_LEVEL']) expect(isSecretName(name), name).toBe(false);
  });
});

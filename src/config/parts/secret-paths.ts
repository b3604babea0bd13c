import type { SecretRef } from '../../ports/secret-ref.js';

// The names plans give the config's secrets (SecretRef): a key path into rewind.yaml, never a value.

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * A config key path for a SecretRef: `environments.staging.database.url#password`. A key that is not
 * plain (an environment named `eu.prod`) is written `["eu.prod"]`, so no two places share a path.
 */
export function secretPath(keys: readonly string[], part?: 'password'): string {
  const path = keys.map((key, index) => (PLAIN_KEY.test(key) ? `${index ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`)).join('');
  return part ? `${path}#${part}` : path;
}

/** The password of environment `env`'s database URL, as its engine hands it to pg_dump / mysqldump. */
export const databasePasswordRef = (env: string): SecretRef => ({ secret: secretPath(['environments', env, 'database', 'url'], 'password') });

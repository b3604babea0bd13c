import { RewindError } from '../errors/rewind-error.js';
import type { SecretRef, SecretResolver } from '../ports/secret-ref.js';
import { databasePasswordRef, secretPath } from './parts/secret-paths.js';
import type { RewindConfig } from './config-schema.js';
import { adapterSecrets, databasePassword } from '../adapters/registry.js';
import { envMapSecrets, urlSecrets } from './parts/secret-policy.js';

/**
 * Where the config holds secrets: the values to redact (configSecretValues) and the references
 * plans carry instead of values (ConfigSecrets resolves them when a command runs).
 */

export { databasePasswordRef, secretPath } from './parts/secret-paths.js';

/** `database.migrations.env` as references: the apply and down commands of a plan name each value's key, never the value. */
export function migrationsEnvRefs(env: string, vars: Record<string, string>): Record<string, SecretRef> {
  return Object.fromEntries(Object.keys(vars).map((name) => [name, { secret: secretPath(['environments', env, 'database', 'migrations', 'env', name]) }]));
}

/**
 * Every secret value the config holds (interpolated `${VAR}` values are registered by the loader):
 * URL passwords (ledger, database, health, watch source, smoke base URL), the secret part of webhook
 * URLs, every header value (health, watch source, webhooks), and the secret entries of env maps
 * (`runtime.env`, `database.migrations.env`) as secret-policy.ts decides them.
 */
export function configSecretValues(config: RewindConfig): string[] {
  const values = [...urlSecrets(config.ledger)];
  for (const environment of Object.values(config.environments)) {
    const { database, health, smoke } = environment;
    // The adapters' own (runtime env, database URL, watch source, webhooks), as each definition names them.
    values.push(...adapterSecrets(environment));
    if (database?.migrations) values.push(...envMapSecrets(database.migrations.env));
    if (health) values.push(...urlSecrets(health.url), ...Object.values(health.headers));
    if (smoke?.baseUrl) values.push(...urlSecrets(smoke.baseUrl));
  }
  return values.filter(Boolean);
}

/**
 * Resolves the references plans carry, from the config loaded now: a resumed plan reads today's
 * value. Only the places rewind hands to commands can be referenced (a database URL's password,
 * `database.migrations.env`), so a stored plan cannot make rewind read any other config value.
 */
export class ConfigSecrets implements SecretResolver {
  private readonly values = new Map<string, string>();

  constructor(config: RewindConfig) {
    for (const [env, environment] of Object.entries(config.environments)) {
      const database = environment.database;
      if (!database) continue;
      const password = databasePassword(database);
      if (password !== undefined) this.values.set(databasePasswordRef(env).secret, password);
      const vars = database.migrations?.env ?? {};
      for (const [name, ref] of Object.entries(migrationsEnvRefs(env, vars))) this.values.set(ref.secret, vars[name]!);
    }
  }

  resolve(ref: SecretRef): string {
    const value = this.values.get(ref.secret);
    if (value === undefined) {
      throw new RewindError('REWIND_E_CONFIG_INVALID', `${ref.secret} is not in the config: the command that needs it cannot run (was it removed since the plan was made?)`, { path: ref.secret });
    }
    return value;
  }
}

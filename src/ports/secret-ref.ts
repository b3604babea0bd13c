/**
 * A secret named, never held: where the value is read when it is needed. Plans carry these in
 * place of values (a plan is printed, stored in the ledger and resumed later), and the executor
 * turns them into values only when it starts the process that needs them.
 *
 * `secret` is a config key path such as `environments.staging.database.url#password` (`#password`:
 * the password part of the URL at that key). It names the place, so a resumed plan reads the value
 * the config holds now.
 */
export interface SecretRef {
  secret: string;
}

export const isSecretRef = (value: unknown): value is SecretRef =>
  typeof value === 'object' && value !== null && typeof (value as { secret?: unknown }).secret === 'string';

/**
 * Turns references into values at the moment of use. `resolve` throws a coded error naming the
 * reference (never a value) when it cannot: REWIND_E_CONFIG_INVALID when the config no longer has
 * that key (a stored plan resumed after the config changed).
 */
export interface SecretResolver {
  resolve(ref: SecretRef): string;
}

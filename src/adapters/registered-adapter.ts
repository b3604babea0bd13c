import { RewindError } from '../errors/rewind-error.js';
import { ownValue } from '../util/own-property.js';

/**
 * The factory a registry holds for `type` (an own property: a registry is a plain object, and
 * `constructor` or `toString` must not be found in it). The schema admits only registered types, so
 * a miss means a config that never went through it (a test, a bench, a future API): a coded error
 * naming the known types rather than "is not a function".
 */
export function registeredAdapter<F>(registry: Readonly<Record<string, F>>, type: string, key: string): F {
  const factory = ownValue(registry, type);
  if (!factory) throw new RewindError('REWIND_E_CONFIG_INVALID', `${key}: ${JSON.stringify(type)} is not a type rewind knows (known: ${Object.keys(registry).join(', ')})`, { key, type });
  return factory;
}

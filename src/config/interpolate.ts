import { RewindError } from '../errors/rewind-error.js';
import { isSecretName } from './parts/secret-policy.js';

const PLACEHOLDER = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationResult {
  value: unknown;
  /** Values taken from variables whose names look secret; the caller registers them for redaction. */
  secrets: string[];
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML document. `$${` is a
 * literal `${`. A variable that is unset and has no default is an error naming the config path.
 */
export function interpolateEnv(document: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const secrets: string[] = [];

  const visit = (value: unknown, path: string[]): unknown => {
    if (typeof value === 'string') {
      return value.replace(PLACEHOLDER, (match, variable: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        const name = variable as string;
        // Own variables only: process.env, like any object, answers to `constructor` and `toString`.
        const found = Object.hasOwn(env, name) ? env[name] : undefined;
        if (found === undefined && fallback === undefined) {
          const where = path.length ? path.join('.') : '(root)';
          throw new RewindError('REWIND_E_CONFIG_ENV_MISSING', `${where}: environment variable ${name} is not set`, { path: where, variable: name });
        }
        // Shell semantics of `:-`: the default applies when the variable is unset or empty.
        const resolved = fallback !== undefined && !found ? fallback : (found as string);
        if (isSecretName(name)) secrets.push(resolved);
        return resolved;
      });
    }
    if (Array.isArray(value)) return value.map((item, index) => visit(item, [...path, String(index)]));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, [...path, key])]));
    }
    return value;
  };

  return { value: visit(document, []), secrets };
}

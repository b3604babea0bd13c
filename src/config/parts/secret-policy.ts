import { basicToken } from '../../util/url-credentials.js';

/**
 * What counts as a secret, in one place. The config loader registers every value this says is
 * secret with the redactor (config-secrets.ts walks the config with it); interpolation uses the
 * same name rule for `${VAR}`.
 */

/**
 * A name whose value is a secret: a `${VAR}` variable, or a key of an env map (`runtime.env`,
 * `database.migrations.env`). `DATABASE_URL`, `*_DSN` and webhook URLs carry credentials as a whole.
 */
export const SECRET_NAME = /TOKEN|SECRET|PASSW|PASS$|KEY|CREDENTIAL|AUTH|DSN|DATABASE_URL|WEBHOOK|PRIVATE/i;

export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** A value as written and percent-decoded (both forms get printed: in a URL, and by tools). */
function bothForms(value: string): string[] {
  if (!value) return [];
  try {
    return [...new Set([value, decodeURIComponent(value)])];
  } catch {
    return [value];
  }
}

/**
 * The password of a URL (`scheme://user:password@host/…`, or libpq's `?password=`), decoded: what
 * a database tool is handed in PGPASSWORD / MYSQL_PWD. Empty when it has none or is no URL.
 */
export function urlPassword(value: string): string {
  const url = parseUrl(value);
  if (!url) return '';
  return (url.password ? decodeURIComponent(url.password) : '') || (url.searchParams.get('password') ?? '');
}

/** The credentials a URL carries (its password, `?password=`), in every form they are printed. Not a URL: none. */
export function urlSecrets(value: string): string[] {
  const url = parseUrl(value);
  if (!url) return [];
  return [...bothForms(url.password), ...(url.searchParams.get('password') ? bothForms(url.searchParams.get('password')!) : [])];
}

/**
 * A webhook URL is a secret past `scheme://host[:port]`: chat webhooks (Slack, Discord) carry their
 * token in the path, others in the query, and a user name and password may precede the host. Each
 * part is returned in every form it is printed, and so is the Basic token built from the user info.
 */
export function webhookUrlSecrets(value: string): string[] {
  const url = parseUrl(value);
  if (!url) return [value];
  const parts = [...bothForms(url.username), ...bothForms(url.password)];
  if (url.username || url.password) parts.push(basicToken(url)!);
  const path = url.pathname === '/' ? '' : url.pathname;
  parts.push(...bothForms(`${path}${url.search}`), ...bothForms(path), ...bothForms(url.search.slice(1)), ...bothForms(url.hash.slice(1)));
  return parts.filter(Boolean);
}

/**
 * The values of an env map that are secrets: those under a secret-looking key, whole, and the
 * credentials of any URL among the others (`REDIS_URL: redis://:pw@host` hides `pw`).
 */
export function envMapSecrets(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([key, value]) => (isSecretName(key) ? [value, ...urlSecrets(value)] : urlSecrets(value)));
}

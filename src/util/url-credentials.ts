/** URL user info as HTTP wants it: fetch refuses a URL with credentials, so they travel as a Basic header. */

/** The `Authorization: Basic …` token of a URL's user info (undefined without one). */
export function basicToken(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  return Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
}

/** The URL without its user info, and the `Authorization` header value that carries it instead. */
export function splitUrlCredentials(value: string): { url: string; authorization?: string } {
  const url = new URL(value);
  const token = basicToken(url);
  if (!token) return { url: value };
  url.username = '';
  url.password = '';
  return { url: url.toString(), authorization: `Basic ${token}` };
}

/**
 * A URL for a message when everything past `scheme://host[:port]` is secret (webhooks carry their
 * token in the path or query): `https://***@hooks.example.com/***`. Not a URL: `***`.
 */
export function maskUrlPastHost(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '***';
  }
  const userinfo = url.username || url.password ? '***@' : '';
  const rest = (url.pathname && url.pathname !== '/') || url.search || url.hash ? '/***' : '';
  return `${url.protocol}//${userinfo}${url.host}${rest}`;
}

/**
 * A URL for a plan or a message when only its password is secret (a health check's URL):
 * `http://probe:***@host/health`. The user name, host and path stay readable. Not a URL: as it is.
 */
export function urlWithoutPassword(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (!url.password && !url.searchParams.has('password')) return value;
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  const userinfo = url.username || url.password ? `${url.username}${url.password ? ':***' : ''}@` : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${url.search}${url.hash}`;
}

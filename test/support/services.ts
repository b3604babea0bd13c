/**
 * The real services the tests run against, named once. npm test's set-up (scripts/test-setup.mjs)
 * starts PostgreSQL and MariaDB on loopback with password-less admin users; each default below is
 * what it provides, and one environment variable per service points the tests elsewhere.
 *
 * Test files take admin URLs from here (never a literal of their own) and make their own throwaway
 * databases with `databaseUrl`, dropped when they are done.
 */

/** A superuser connection to a database that always exists (trust authentication over 127.0.0.1). */
export const POSTGRES_ADMIN_URL = process.env.REWIND_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Host and user of POSTGRES_ADMIN_URL, for libpq's PGHOST and PGUSER (psql run by a migration's down commands). */
export const POSTGRES_SERVER = { host: new URL(POSTGRES_ADMIN_URL).hostname, user: decodeURIComponent(new URL(POSTGRES_ADMIN_URL).username) };

/** A user that may create and drop databases, connected to a database that always exists. */
export const MYSQL_ADMIN_URL = process.env.REWIND_TEST_MYSQL_ADMIN ?? 'mysql://root@127.0.0.1:3306/test';

/** Redis, for the adapters that will use it (nothing starts it yet; tests that need it check it answers). */
export const REDIS_URL = process.env.REWIND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `admin` pointed at another database on the same server, optionally with another port (one where
 * nothing listens, to test an outage) or a password (to test that it never shows).
 */
export function databaseUrl(admin: string, database: string, overrides: { port?: number | string; password?: string; user?: string } = {}): string {
  const url = new URL(admin);
  url.pathname = `/${database}`;
  if (overrides.port !== undefined) url.port = String(overrides.port);
  if (overrides.user !== undefined) url.username = overrides.user;
  if (overrides.password !== undefined) url.password = overrides.password;
  return url.toString();
}

/** A database on the test PostgreSQL server (see databaseUrl). */
export const postgresUrl = (database: string, overrides?: Parameters<typeof databaseUrl>[2]): string => databaseUrl(POSTGRES_ADMIN_URL, database, overrides);

/** A database on the test MariaDB server (see databaseUrl). */
export const mysqlUrl = (database: string, overrides?: Parameters<typeof databaseUrl>[2]): string => databaseUrl(MYSQL_ADMIN_URL, database, overrides);

/**
 * The providers whose contract runs are wanted: `REWIND_PROVIDERS=postgres,mysql` runs only those
 * (an adapter author iterating on one backend); unset or empty runs them all. Other tests ignore it.
 */
export function selectedProviders(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> | 'all' {
  const names = (env.REWIND_PROVIDERS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length === 0 ? 'all' : new Set(names);
}

/** Whether REWIND_PROVIDERS lets `provider`'s contract runs run. */
export function providerSelected(provider: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const selected = selectedProviders(env);
  return selected === 'all' || selected.has(provider);
}

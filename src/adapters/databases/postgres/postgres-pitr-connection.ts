import type pg from 'pg';
import { RewindError } from '../../../errors/rewind-error.js';
import type { CommandResult } from '../../../ports/executor.js';
import { redactor } from '../../../util/redact.js';
import { pipelineFailure } from '../client-tools.js';

/** Connections and commands the PITR functions share: a pg client, the URL split for argv and PGPASSWORD, running as the server's OS user. */

export async function connect(url: string, connectionTimeoutMillis = 10_000): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: url, connectionTimeoutMillis, application_name: 'rewind' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new RewindError('REWIND_E_DB_UNREACHABLE', redactor.redact(`cannot connect to PostgreSQL at ${where(url)}: ${(error as Error).message}`), { engine: 'postgres', where: where(url) });
  }
  return client;
}

export function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** The URL without its password (safe in argv) and the password (for PGPASSWORD), as PostgresEngine splits them. */
export function splitPassword(url: string): { publicUrl: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password) || (parsed.searchParams.get('password') ?? '');
  parsed.password = '';
  parsed.searchParams.delete('password');
  return { publicUrl: parsed.toString(), password };
}

export function failure(result: CommandResult, secrets: readonly string[] = []): string {
  return pipelineFailure({ stages: [result], ok: false, durationMs: result.durationMs }, secrets);
}

/** argv prefixed so it runs as `osUser`: postgres and pg_ctl refuse to run as root. */
export function asUser(argv: string[], osUser: string | undefined): string[] {
  return osUser ? ['runuser', '-u', osUser, '--', ...argv] : argv;
}

import pg from 'pg';
import { ProcessExecutor } from '../../src/exec/process-executor.js';
import type { CommandSpec } from '../../src/ports/executor.js';

/*
 * Throwaway PostgreSQL 15 clusters for the PITR tests (initdb/pg_ctl). The tests run as root, which
 * postgres refuses, so the server binaries run as the `postgres` OS user.
 */
export const BIN = '/usr/lib/postgresql/15/bin';
export const OS_USER = 'postgres';
export const executor = new ProcessExecutor();

export const asPostgres = (argv: string[]): string[] => ['runuser', '-u', OS_USER, '--', ...argv];

export async function mustRun(spec: CommandSpec): Promise<string> {
  const result = await executor.run(spec);
  if (result.exitCode !== 0) throw new Error(`${spec.argv.join(' ')} exited ${result.exitCode}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

export const urlFor = (port: number): string => `postgres://postgres@127.0.0.1:${port}/postgres`;

export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(port: number, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: urlFor(port) });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Forces the current segment out and waits until the archiver has stored it; returns the segment. */
export async function switchAndWaitArchived(port: number): Promise<string> {
  const [{ segment }] = (await sql<{ segment: string }>(port, 'SELECT pg_walfile_name(pg_switch_wal()) AS segment')) as [{ segment: string }];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const [row] = await sql<{ last: string | null }>(port, 'SELECT last_archived_wal AS last FROM pg_stat_archiver');
    if (row?.last && row.last.slice(0, 24) >= segment) return segment;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`segment ${segment} was not archived within 15 s`);
}

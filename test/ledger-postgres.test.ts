import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openLedger } from '../src/ledger/open-ledger.js';
import { ledgerContract } from './contracts/ledger-contract.js';
import { POSTGRES_ADMIN_URL as ADMIN, postgresUrl } from './support/services.js';

// The ledger contract on a real PostgreSQL: a database of its own per run, dropped afterwards.
const database = `rewind_ledger_${randomBytes(6).toString('hex')}`;
const ledgerUrl = postgresUrl(database);

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

// Created when the contract first opens the ledger (not at all when REWIND_PROVIDERS leaves postgres out).
let created: Promise<unknown> | undefined;
const createDatabase = () => (created ??= admin((c) => c.query(`CREATE DATABASE ${database}`)));

ledgerContract({
  name: 'postgres',
  provider: 'postgres',
  open: async () => {
    await createDatabase();
    return openLedger(ledgerUrl);
  },
  openSecond: async () => {
    await createDatabase();
    return openLedger(ledgerUrl);
  },
  rawExec: async (sql) => {
    const client = new pg.Client({ connectionString: ledgerUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  },
  // The contract has closed every ledger it opened by now; FORCE only guards against a leaked connection.
  cleanup: async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  },
});

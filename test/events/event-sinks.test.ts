import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLinesSink, LedgerAuditSink } from '../../src/events/event-sinks.js';
import { openLedger } from '../../src/ledger/open-ledger.js';
import { eventSinkContract, type DeliveredEvent } from '../contracts/event-sink-contract.js';

// The event log file: JSON lines appended synchronously to a file of its own, read back as lines.
eventSinkContract({
  name: 'json-lines file',
  provider: 'json-lines',
  capabilities: { record: true },
  create: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-json-lines-'));
    const file = join(dir, 'logs', 'events.log');
    return {
      sink: await JsonLinesSink.create(file),
      delivered: async (env) =>
        existsSync(file)
          ? readFileSync(file, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as DeliveredEvent)
              .filter((event) => event.env === env)
          : [],
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

// The ledger's append-only audit table, read back through the ledger (a SQLite file; the PostgreSQL
// ledger shares the table and its code, and runs the Ledger contract).
eventSinkContract({
  name: 'ledger audit (sqlite ledger)',
  provider: 'ledger-audit',
  capabilities: { record: true },
  create: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-audit-'));
    const ledger = await openLedger(join(dir, 'ledger.db'));
    return {
      sink: new LedgerAuditSink(ledger, 'contract@test'),
      delivered: async (env) =>
        (await ledger.listEvents(env, { limit: 1000 })).map(({ event, env: at, operationId, fromVersion, toVersion, data }) => ({ ...data, event, env: at, operationId, from: fromVersion, to: toVersion })),
      cleanup: async () => {
        await ledger.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerLocation } from './ledger-boundary.js';
import { openLedger } from './open-ledger.js';

describe('the ledger error boundary', () => {
  const root = mkdtempSync(join(tmpdir(), 'rewind-ledger-boundary-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('turns a driver error into REWIND_E_LEDGER naming the location and the method', async () => {
    const file = join(root, 'rewind.db');
    const ledger = await openLedger(file);
    expect(await ledger.ensureEnvironment('staging', 1)).toMatchObject({ name: 'staging' });
    await ledger.close();
    // better-sqlite3 throws a TypeError on a closed database: without the boundary it would surface as REWIND_E_INTERNAL.
    const error = await ledger.getEnvironment('staging').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RewindError', code: 'REWIND_E_LEDGER', details: { ledger: file, method: 'getEnvironment', unreachable: false } });
    expect((error as Error).message).toMatch(new RegExp(`^the ledger at ${file} failed \\(getEnvironment\\): `));
    expect(ledger.dialect).toBe('sqlite');
  });

  it('prints a postgres location without its password', () => {
    expect(ledgerLocation('postgres://rewind:s3cret-pw@db.internal:5432/rewind')).toBe('postgres://rewind:***@db.internal:5432/rewind');
    expect(ledgerLocation('/var/lib/rewind/rewind.db')).toBe('/var/lib/rewind/rewind.db');
  });
});

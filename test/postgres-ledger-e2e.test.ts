import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';
import { POSTGRES_ADMIN_URL as ADMIN, postgresUrl } from './support/services.js';


// The same deploy → broken deploy → automatic rollback, through the CLI, with the ledger on a real PostgreSQL.
describe('CLI end to end with a PostgreSQL ledger', () => {
  const database = `rewind_e2e_${randomBytes(4).toString('hex')}`;
  let sandbox: Sandbox;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    sandbox = await createSandbox({ ledger: postgresUrl(database) });
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
  });
  afterAll(async () => {
    await sandbox?.close();
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('records the whole story in PostgreSQL', async () => {
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    const broken = await sandbox.cli(['deploy', ENV, '1.1.0', '--json']);
    expect(broken.code).toBe(7);
    expect(broken.stderr).toContain('REWIND_E_DEPLOY_ROLLED_BACK');
    expect(await sandbox.served()).toEqual({ status: 200, version: '1.0.0' });

    const status = JSON.parse((await sandbox.cli(['status', ENV, '--json'])).stdout) as Record<string, any>;
    expect(status.current).toMatchObject({ version: '1.0.0', state: 'good' });
    expect(status.lock).toBeNull();
    expect(status.lastOperation).toMatchObject({ kind: 'rollback', from: '1.1.0', to: '1.0.0', state: 'succeeded' });

    const history = JSON.parse((await sandbox.cli(['history', ENV, '--json'])).stdout) as { kind: string; state: string; steps: unknown[] }[];
    expect(history.map((o) => `${o.kind}:${o.state}`)).toEqual(['rollback:succeeded', 'deploy:failed', 'deploy:succeeded']);

    // The audit table lives in PostgreSQL and refuses edits.
    const client = new pg.Client({ connectionString: postgresUrl(database) });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT event, from_version, to_version FROM events WHERE event LIKE 'rollback_%' ORDER BY id");
      expect(rows).toEqual([
        { event: 'rollback_start', from_version: '1.1.0', to_version: '1.0.0' },
        { event: 'rollback_complete', from_version: '1.1.0', to_version: '1.0.0' },
      ]);
      await expect(client.query("UPDATE events SET actor = 'mallory'")).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });
});

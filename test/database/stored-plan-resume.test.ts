import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSecrets } from '../../src/config/config-secrets.js';
import { newOperationId } from '../../src/core/clock.js';
import { deploy } from '../../src/core/operations/deploy.js';
import { migrateDown } from '../../src/core/operations/migrate-down.js';
import type { Plan } from '../../src/core/plan.js';
import { isSecretRef } from '../../src/ports/secret-ref.js';
import { createAppDatabase, MIGRATE, type AppDatabase } from '../support/app-database.js';
import { createSandbox, ENV, type Sandbox } from '../support/sandbox.js';
import { POSTGRES_SERVER, postgresUrl } from '../support/services.js';

// A stored plan names its secrets (issue 12, "secrets at rest"): `rewind resume` reads them from the
// config when the step runs. Plans stored before references existed hold the values themselves and
// must still resume. The db-down step is the one that runs the commands stored in its plan.

const M0 = { 'prisma/migrations/20251201000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n' };
const M1 = {
  'prisma/migrations/20260101000000_nickname/migration.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
  'prisma/migrations/20260101000000_nickname/down.sql': 'ALTER TABLE users DROP COLUMN nickname;\n',
};
const M2 = {
  'prisma/migrations/20260201000000_plan/migration.sql': 'ALTER TABLE users ADD COLUMN plan text;\n',
  'prisma/migrations/20260201000000_plan/down.sql': 'ALTER TABLE users DROP COLUMN plan;\n',
};

describe('resuming a stored down plan (real PostgreSQL, real PM2)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  // PostgreSQL here trusts local connections: any password works, and each one is a distinct marker.
  const pgPassword = `pg-pw-${randomBytes(6).toString('hex')}`;
  const dsnPassword = `dsn-pw-${randomBytes(6).toString('hex')}`;
  const columns = async () => (await db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name`)).map((r) => r.column_name as string);

  beforeAll(async () => {
    db = await createAppDatabase('rewind_resume');
    await db.migrate(M0);
    sandbox = await createSandbox({
      databaseYaml: (root) => `    database:
      engine: postgres
      url: ${db.url}
      backupDir: ${join(root, 'backups')}
      backupLog: ${join(root, 'ops', 'backups.log')}
      migrations:
        tool: prisma
        dir: prisma/migrations
        apply: ["${process.execPath}", "${MIGRATE}", "{release_dir}/prisma/migrations"]
        down:
          - [psql, -X, -q, -v, ON_ERROR_STOP=1, -f, "{down_file}"]
          - ["${process.execPath}", "${MIGRATE}", --rolled-back, "{migration}"]
        env:
          DATABASE_URL: ${postgresUrl(db.name, { password: dsnPassword })}
          PGHOST: ${POSTGRES_SERVER.host}
          PGUSER: ${POSTGRES_SERVER.user}
          PGDATABASE: ${db.name}
          PGPASSWORD: ${pgPassword}`,
    });
    await sandbox.release('1.0.0', { files: { ...M0 } });
    await sandbox.release('1.1.0', { files: { ...M0, ...M1 } });
    await sandbox.release('1.2.0', { files: { ...M0, ...M1, ...M2 } });
    expect((await deploy(sandbox.services, ENV, '1.0.0')).error?.message).toBeUndefined();
    expect((await deploy(sandbox.services, ENV, '1.1.0')).error?.message).toBeUndefined();
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  /** Journals `plan` as a running operation, as a runner killed right after creating it leaves it. */
  async function storeAsInterrupted(plan: Plan): Promise<string> {
    const id = newOperationId();
    await sandbox.ledger.createOperation({ id, env: ENV, kind: plan.kind, fromVersion: plan.from, toVersion: plan.to, state: 'running', plan, actor: 'tester@test', parentId: null, reason: plan.reason ?? null, error: null, startedAt: Date.now(), finishedAt: null });
    return id;
  }

  it('a plan with references: stored without a value, resumed, the down command gets the values from the config', async () => {
    const { plan } = await migrateDown(sandbox.services, ENV, { dryRun: true });
    const down = plan.steps.find((s) => s.kind === 'db-down')!;
    expect(down.commands[0]!.env).toEqual({
      DATABASE_URL: { secret: 'environments.staging.database.migrations.env.DATABASE_URL' },
      PGHOST: { secret: 'environments.staging.database.migrations.env.PGHOST' },
      PGUSER: { secret: 'environments.staging.database.migrations.env.PGUSER' },
      PGDATABASE: { secret: 'environments.staging.database.migrations.env.PGDATABASE' },
      PGPASSWORD: { secret: 'environments.staging.database.migrations.env.PGPASSWORD' },
    });
    const id = await storeAsInterrupted(plan);
    const stored = JSON.stringify((await sandbox.ledger.getOperation(id))!.plan);
    expect(stored).not.toContain(pgPassword);
    expect(stored).not.toContain(dsnPassword);

    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(id))?.state).toBe('succeeded');
    expect(await columns()).toEqual(['email', 'id']);
  });

  it('a plan stored before references existed (values in env, a redact list) still resumes', async () => {
    expect((await deploy(sandbox.services, ENV, '1.2.0')).error?.message).toBeUndefined();
    expect(await columns()).toEqual(['email', 'id', 'nickname', 'plan']);
    const { plan } = await migrateDown(sandbox.services, ENV, { dryRun: true });
    // What the code before references stored: each value in env, and again in `redact`.
    const secrets = new ConfigSecrets(sandbox.config);
    const legacy: Plan = {
      ...plan,
      steps: plan.steps.map((step) => ({
        ...step,
        commands: step.commands.map((command) => {
          const env = Object.fromEntries(Object.entries(command.env ?? {}).map(([name, value]) => [name, isSecretRef(value) ? secrets.resolve(value) : value]));
          return { ...command, env, redact: Object.values(env).filter((value) => value.length >= 4) };
        }),
      })),
    };
    const id = await storeAsInterrupted(legacy);
    expect(JSON.stringify((await sandbox.ledger.getOperation(id))!.plan)).toContain(pgPassword);

    const resumed = await sandbox.cli(['resume', ENV]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect((await sandbox.ledger.getOperation(id))?.state).toBe('succeeded');
    expect(await columns()).toEqual(['email', 'id', 'nickname']);
    expect(resumed.stdout + resumed.stderr).not.toContain(pgPassword);
  });
});

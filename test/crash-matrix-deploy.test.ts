import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppDatabase, prismaDatabaseYaml, type AppDatabase } from './support/app-database.js';
import { atPoint, crashPoints, crashThenResume, expectConverged, MATRIX_APP_ENV, planOf, privateTmp, stepDurations } from './support/crash-matrix.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';
import './in-process-status.js';

const SUITE = new URL('../examples/smoke/minimal.yaml', import.meta.url).pathname;
const ENV_VARS = { OPERATOR_TOKEN: 'demo-operator-token' };

/**
 * Crash matrix, deploy plans: a deploy with every kind of deploy step — record running, disk
 * space, baseline health and metrics, drift check, pre-upgrade backup, unpack, migrations check,
 * migrate (real PostgreSQL, Prisma-style), activate (real PM2), health, smoke, watch window, mark
 * good, prune — killed at the start, the end and (long steps) the middle of each, then resumed.
 * Every resume must finish the deploy: the new release good, ledger, link and processes agreeing.
 */
describe('crash matrix: every step of a deploy, killed, then resumed (real PM2, real PostgreSQL)', () => {
  let db: AppDatabase;
  let sandbox: Sandbox;
  let tmp: string;
  const migrations: Record<string, string> = { 'prisma/migrations/20250101000000_users/migration.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text);\n' };
  let n = 0;

  /** Registers the next release; each brings one more additive migration, as a repository grows. */
  async function nextRelease(): Promise<string> {
    n += 1;
    const version = `2.0.${n}`;
    migrations[`prisma/migrations/2026010100${String(n).padStart(4, '0')}_t${n}/migration.sql`] = `CREATE TABLE t${n} (id serial PRIMARY KEY, note text);\n`;
    await sandbox.release(version, { files: { ...migrations } });
    return version;
  }

  beforeAll(async () => {
    db = await createAppDatabase('rewind_crash_deploy');
    sandbox = await createSandbox({
      appEnv: MATRIX_APP_ENV,
      databaseYaml: (root, port) =>
        `${prismaDatabaseYaml(db, root)}
    smoke:
      suite: ${SUITE}
      baseUrl: http://127.0.0.1:${port}
      timeoutMs: 2000
    watch:
      windowMs: 1000
      intervalMs: 500
      source:
        type: http-probe
        url: http://127.0.0.1:${port}/
        requests: 10
        concurrency: 2`,
    });
    tmp = await privateTmp(sandbox);
    await sandbox.release('1.0.0', { files: { ...migrations } });
    const first = await sandbox.cli(['deploy', ENV, '1.0.0'], { env: ENV_VARS });
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
  });

  it('converges from a SIGKILL at every point of the deploy plan', async () => {
    // One deploy without a kill: its plan names the points, its journal says which steps are long.
    const warm = await nextRelease();
    const plan = await planOf(sandbox, ['deploy', ENV, warm]);
    expect(plan.steps.map((s) => s.id)).toEqual(['record-running', 'disk-space', 'baseline-health', 'baseline-metrics', 'drift-check', 'db-backup', 'prepare', 'migrations-check', 'migrate', 'activate', 'health', 'smoke', 'watch', 'mark-good', 'prune']);
    const clean = await sandbox.cli(['deploy', ENV, warm, '--json'], { env: ENV_VARS });
    expect(clean.code, clean.stderr).toBe(0);
    const operationId = (JSON.parse(clean.stdout.split('\n')[0]!) as { operationId: string }).operationId;
    const points = crashPoints(plan, await stepDurations(sandbox, operationId));
    expect(points.length).toBeGreaterThanOrEqual(2 * plan.steps.length + 2);

    for (const point of points) {
      await atPoint(point, async (at) => {
        const version = await nextRelease();
        const run = await crashThenResume(sandbox, ['deploy', ENV, version, '--json'], at, tmp, ENV_VARS);
        if (run) expect(run.resumed.code, `${at}: ${run.resumed.stderr}`).toBe(0);
        await expectConverged(sandbox, at, version, { tmp });
        // The migrations of the release are applied exactly once, and nothing holds a transaction open.
        const applied = await db.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name LIKE '%_t${n}'`);
        expect(applied, at).toEqual([{ n: 1 }]);
        expect(await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`), at).toEqual([{ n: 0 }]);
        return run !== null;
      });
    }
  }, 900_000);
});

import { join } from 'node:path';
import { RewindError } from '../../errors/rewind-error.js';
import { listMigrationFiles } from '../../migrations/migration-files.js';
import type { DatabaseEngine } from '../../ports/database-engine.js';
import { requireDatabase } from './database-backup.js';
import { diffSchemas, renderSchemaDiff, type SchemaDifference } from './schema-diff.js';
import { lookUpEnvironment, type ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';

/**
 * Drift (seed 000, "automated differential schema drift detection pre-upgrade"): the live schema
 * against (1) the schema recorded when the current release last became current, and (2) the schema
 * its migrations build when replayed into a scratch database. Either difference is drift: someone
 * changed the database by hand, or a migration did something other than what its file says.
 */

export interface DriftComparison {
  against: 'recorded' | 'replay';
  /** What the live schema was compared with, for people. */
  description: string;
  differences: SchemaDifference[];
  /** The rendered diff (`- expected`, `+ found`, `~ changed`); empty when there is none. */
  text: string;
}

export interface DriftReport {
  env: string;
  release: string | null;
  drift: boolean;
  comparisons: DriftComparison[];
  /** Comparisons that could not be made, and why. */
  notes: string[];
}

const SQL_FILE = /\.sql$/i;

async function withEngine<T>(services: Services, { env, config }: ResolvedEnvironment, work: (engine: DatabaseEngine) => Promise<T>): Promise<T> {
  const engine = services.createDatabaseEngine(env, config);
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

export async function detectDrift(services: Services, env: string, options: { replay?: boolean } = {}): Promise<DriftReport> {
  const resolved = lookUpEnvironment(services.config, env);
  const { config } = resolved;
  const database = requireDatabase(env, config);
  const environment = await services.ledger.getEnvironment(env);
  const current = environment?.currentVersion ? await services.ledger.getRelease(env, environment.currentVersion) : undefined;
  const report: DriftReport = { env, release: current?.version ?? null, drift: false, comparisons: [], notes: [] };
  const compare = (against: DriftComparison['against'], description: string, differences: SchemaDifference[]): void => {
    report.comparisons.push({ against, description, differences, text: renderSchemaDiff(differences) });
    if (differences.length > 0) report.drift = true;
  };

  await withEngine(services, resolved, async (engine) => {
    if (!engine.readSchema) {
      throw new RewindError('REWIND_E_USAGE', `drift detection reads the schema from the catalog, which the ${engine.engine} engine does not do yet (PostgreSQL only)`, { env, engine: engine.engine });
    }
    const live = await engine.readSchema();
    if (current?.database?.schema) compare('recorded', `the schema recorded when ${current.version} became current`, diffSchemas(current.database.schema, live));
    else report.notes.push(current ? `no schema is recorded for ${current.version} (deployed before rewind recorded schemas, or without a database)` : 'nothing is deployed: no recorded schema to compare with');

    if (options.replay === false) return;
    const migrations = database.migrations;
    if (!migrations) return void report.notes.push('no database.migrations configured: nothing to replay');
    if (!current) return void report.notes.push('nothing is deployed: no release whose migrations to replay');
    const target = services.createTarget(env, config);
    try {
      if (!target.releaseDir) return void report.notes.push(`the ${target.type} target has no release directory to read migrations from`);
      const files = await listMigrationFiles(migrations.tool, join(target.releaseDir(current.version), migrations.dir));
      const scripts = files.filter((f) => !SQL_FILE.test(f.upPath));
      if (scripts.length > 0) return void report.notes.push(`not replayed: ${scripts.map((f) => f.name).join(', ')} ${scripts.length > 1 ? 'are script migrations' : 'is a script migration'}, which rewind cannot run`);
      if (!engine.replaySchema) return void report.notes.push(`the ${engine.engine} engine cannot replay migrations`);
      compare('replay', `the schema ${files.length} migration(s) of ${current.version} build in a scratch database`, diffSchemas(await engine.replaySchema(files), live));
    } finally {
      await target.close();
    }
  });
  return report;
}

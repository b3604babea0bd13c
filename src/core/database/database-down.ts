import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrationsEnvRefs } from '../../config/config-secrets.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { LintFinding } from '../../lint/lint-types.js';
import { compareVersions, listMigrationFiles } from '../../migrations/migration-files.js';
import type { CommandSpec } from '../../ports/executor.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { substituteArgv } from '../../util/substitute-argv.js';
import { requireDatabase } from './database-backup.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { readToolHistory } from './tool-history.js';

/**
 * The one migration a down step would revert (seed 003: `migrate down` rolls back exactly one
 * step; never chain downs without reading each one): the newest applied migration among the files
 * of the release that runs, its down SQL, what the lint says about that SQL (dropping a column is
 * data loss), and the exact commands, for the plan and the dry-run.
 */
export interface DownTarget {
  release: string;
  migration: { id: string; name: string };
  downPath: string | null;
  downSql: string | null;
  findings: LintFinding[];
  commands: CommandSpec[];
}

export async function findDownTarget(services: Services, { env, config }: ResolvedEnvironment, release: ReleaseRecord, target: Target): Promise<DownTarget> {
  const database = requireDatabase(env, config);
  const migrations = database.migrations;
  if (!migrations) throw new RewindError('REWIND_E_USAGE', `environment ${env} has no database.migrations configured: rewind does not know its migrations`, { env });
  if (!target.releaseDir) throw new RewindError('REWIND_E_USAGE', `the ${target.type} target has no release directory to read migrations from`, { env });
  const releaseDir = target.releaseDir(release.version);
  const files = await listMigrationFiles(migrations.tool, join(releaseDir, migrations.dir));
  const engine = services.createDatabaseEngine(env, config);
  let history;
  try {
    history = await readToolHistory(engine, migrations.tool);
  } finally {
    await engine.close();
  }
  if (!history) throw new RewindError('REWIND_E_NOTHING_TO_DO', `no ${migrations.tool} history table in the database: no migration to revert`, { env });
  if (history.blockers.length > 0) throw new RewindError('REWIND_E_MIGRATION_BLOCKED', `the ${migrations.tool} history must be repaired first: ${history.blockers.join('; ')}`, { env });
  const applied = new Set(history.applied.filter((m) => m.state === 'applied').map((m) => m.id));
  const newest = history.tool === 'golang-migrate' ? files.find((f) => f.id === history.applied[0]?.id) : [...files].reverse().find((f) => applied.has(f.id));
  if (!newest) throw new RewindError('REWIND_E_NOTHING_TO_DO', `no migration of ${release.version} is applied: nothing to revert`, { env });
  const unknown = history.tool === 'golang-migrate' ? [] : [...applied].filter((id) => !files.some((f) => f.id === id) && compareVersions(id, newest.id) > 0);
  if (unknown.length > 0) {
    throw new RewindError('REWIND_E_MIGRATION_BLOCKED', `the database has newer migrations than ${release.version} knows (${unknown.join(', ')}): revert them from the release that has them`, { env, unknown });
  }
  if (!migrations.down) {
    throw new RewindError('REWIND_E_MIGRATION_UNSAFE', `environments.${env}.database.migrations.down is not configured: rewind has no command to revert ${newest.name}`, { env });
  }
  const needsFile = migrations.down.some((argv) => argv.some((arg) => arg.includes('{down_file}')));
  if (needsFile && !newest.downPath) throw new RewindError('REWIND_E_MIGRATION_UNSAFE', `${newest.name} has no down migration file`, { env, migration: newest.id });
  const downSql = newest.downPath ? await readFile(newest.downPath, 'utf8') : null;
  // Imported here: every rollback plan reaches this module, few have a down migration to lint.
  const findings = downSql && newest.downPath ? (await (await import('../../lint/run/lint-sql.js')).lintMigrations([{ path: newest.downPath, sql: downSql }], { engine: database.engine })).findings : [];
  // By reference: these commands are stored in the plan and run later (perhaps by `resume`).
  const commandEnv = migrationsEnvRefs(env, migrations.env);
  const commands = migrations.down.map((argv) => ({
    argv: substituteArgv(argv, { releaseDir, currentDir: releaseDir, version: release.version }).map((arg) =>
      arg.replaceAll('{migration}', newest.id).replaceAll('{down_file}', newest.downPath ?? ''),
    ),
    cwd: releaseDir,
    env: commandEnv,
    timeoutMs: migrations.timeoutMs,
  }));
  return { release: release.version, migration: { id: newest.id, name: newest.name }, downPath: newest.downPath ?? null, downSql, findings, commands };
}

/** The plan notes that show a person what the down step will do before they say --yes. */
export function describeDownTarget(down: DownTarget): string[] {
  const notes = [`down one step: revert ${down.migration.name} of ${down.release} (exactly one; downs are never chained)`];
  if (down.downSql !== null) notes.push(`down SQL (${down.downPath}):\n${down.downSql.trimEnd().replace(/^/gm, '    ')}`);
  else notes.push('the down commands do not name a down file: rewind cannot show or lint what they run');
  const lossy = down.findings.filter((f) => f.class === 'breaking' || f.class === 'irreversible' || f.class === 'unchecked');
  for (const f of down.findings) notes.push(`lint ${f.code} (${f.class}) line ${f.line}: ${f.message}`);
  notes.push(lossy.length ? `data loss: ${lossy.length} finding(s) above destroy data the down cannot bring back; the safety backup taken first is the way back` : 'the lint found nothing that loses data in the down SQL');
  return notes;
}

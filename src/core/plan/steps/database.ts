import type { MigrationsConfig } from '../../../config/config-schema.js';
import { migrationsEnvRefs } from '../../../config/config-secrets.js';
import type { CommandSpec } from '../../../ports/executor.js';
import { substituteArgv } from '../../../util/substitute-argv.js';
import type { DownTarget } from '../../database/database-down.js';
import type { PlanStep } from '../../plan.js';
import { step } from './step.js';

/** Step builders for what an operation does to the database: backups, migrations, downs, restores (plain data, no I/O). */

/** What a backup will run, as the engine describes it (pipelines of argv), for plans and dry-runs. */
export interface BackupDescription {
  destination: string;
  pipelines: CommandSpec[][];
}

export function backupStep(id: string, kind: 'pre-upgrade' | 'safety', release: string | null, phase: PlanStep['phase'], described: BackupDescription | undefined): PlanStep {
  const pipelines = described?.pipelines ?? [];
  return step({
    id,
    kind: 'db-backup',
    phase,
    title: `${kind} database backup${release ? ` (state of ${release})` : ''}`,
    params: { kind, release },
    commands: pipelines.flat(),
    effects: [
      ...(described ? [`write ${described.destination} (final name fixed when it runs), sha256 computed while it streams`] : []),
      ...pipelines.filter((p) => p.length > 1).map((p) => `pipeline: ${p.map((c) => c.argv[0]).join(' | ')}`),
      ...(pipelines.length === 0 ? ['in process (SQLite online backup API)'] : []),
      'record it in the ledger and one line in the backups log',
    ],
  });
}

/** Deploy preflight: the live schema must be the one recorded for the running release. */
export function driftCheckStep(version: string): PlanStep {
  return step({
    id: 'drift-check',
    kind: 'drift-check',
    phase: 'preflight',
    title: `live schema equals the one recorded for ${version}`,
    params: { version },
    effects: ['read the schema from the catalog (PostgreSQL); stop on any difference'],
  });
}

/** Deploy preflight: the history table is clean, and the pending migrations' SQL is linted. */
export function migrationsCheckStep(migrations: MigrationsConfig, version: string, releaseDir: string, allowBreaking: boolean | undefined): PlanStep {
  return step({
    id: 'migrations-check',
    kind: 'migrations-check',
    phase: 'preflight',
    title: `check ${migrations.tool} migrations in ${migrations.dir}`,
    params: { version, allowBreaking: allowBreaking ?? false },
    effects: [
      `read the ${migrations.tool} history table; stop on a failed or dirty migration`,
      `pending = in ${releaseDir}/${migrations.dir} and not applied; lint their SQL`,
      migrations.allowBreaking || allowBreaking ? 'breaking migrations allowed by request' : 'refuse a breaking migration that has no down migration',
    ],
  });
}

/** Applies the release's pending migrations with the configured command, secrets by reference (`env`). */
export function migrateStep(env: string, migrations: MigrationsConfig, version: string, releaseDir: string): PlanStep {
  return step({
    id: 'migrate',
    kind: 'migrate',
    phase: 'change',
    title: `apply pending migrations of ${version}`,
    params: { version },
    commands: [{ argv: substituteArgv(migrations.apply, { releaseDir, currentDir: releaseDir, version }), cwd: releaseDir, env: migrationsEnvRefs(env, migrations.env), timeoutMs: migrations.timeoutMs }],
    effects: ['record the migrations, their verdict and the pre-upgrade backup on the release first', 'then confirm from the history table that every pending migration is applied'],
  });
}

/** A database without configured migrations: the migrate step only records the facts rollbacks decide on. */
export function recordDatabaseFactsStep(version: string): PlanStep {
  return step({ id: 'migrate', kind: 'migrate', phase: 'preflight', title: 'record database facts (no migrations configured)', params: { version } });
}

/** Seed 003: a safety backup, then exactly one down migration, checked against the history table. */
export function downSteps(down: DownTarget, safety: BackupDescription | undefined): PlanStep[] {
  return [
    backupStep('db-safety-backup', 'safety', down.release, 'change', safety),
    step({
      id: 'db-down',
      kind: 'db-down',
      phase: 'change',
      title: `revert ${down.migration.name} (one step)`,
      params: { migration: down.migration.id, release: down.release },
      commands: down.commands,
      effects: [`then check that ${down.migration.id}, and only it, is no longer applied`],
    }),
  ];
}

/** Seed 000 "Migration Failure / Incompatible Schema": check the backup → stop writes → safety backup → restore → verify. */
export function restoreSteps(backupId: number, from: string | null, safety: BackupDescription | undefined, undoes: string[], recordFor: string | null = null): PlanStep[] {
  return [
    step({ id: 'db-check-backup', kind: 'db-check-backup', phase: 'preflight', title: `check backup #${backupId}: sha256 and readability`, params: { backupId }, effects: ['refuse before anything is touched if it does not match'] }),
    step({ id: 'stop-app', kind: 'stop-app', phase: 'change', title: 'stop the app (no writes during the restore; the database keeps running)', params: {} }),
    backupStep('db-safety-backup', 'safety', from, 'change', safety),
    step({
      id: 'db-restore',
      kind: 'db-restore',
      phase: 'change',
      title: `restore backup #${backupId}`,
      params: { backupId, undoes },
      effects: ['checksum checked again first; replaces the database contents', ...(undoes.length ? [`then records that the migrations of ${undoes.join(', ')} are undone`] : [])],
    }),
    step({ id: 'db-verify', kind: 'db-verify', phase: 'verify', title: 'verify migration table state and critical row counts against the backup', params: { backupId, recordFor } }),
  ];
}

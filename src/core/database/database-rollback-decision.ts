/**
 * DESIGN.md "Database-aware rollback": rolling back from the current release to the LKG picks, and
 * says why, one of
 *   code-only — every migration since the LKG is additive (old code runs against the new schema);
 *   restore   — one is breaking (or could not be checked): restore the newest pre-upgrade backup
 *               taken no later than the first risky release (the additive releases before it stay,
 *               and with them the data written meanwhile), then activate the LKG;
 *   down      — only on request, and only for exactly one migration (seed 003: never chain downs);
 *   freeze    — neither is safe: stop and roll forward instead.
 * Pure: the planner calls it with facts from the ledger.
 */
export type MigrationVerdict = 'none' | 'additive' | 'breaking' | 'unknown';
export type DatabaseMode = 'code-only' | 'restore' | 'down' | 'freeze';
export type DatabaseOverride = 'restore' | 'down' | 'skip';

export interface ReleaseDatabaseFacts {
  version: string;
  /** Migrations this release applied, oldest first. */
  migrations: { id: string; name: string; hasDown: boolean }[];
  verdict: MigrationVerdict;
  /** Why the verdict is what it is (lint findings, "JavaScript migration cannot be linted"…). */
  reasons: string[];
  /** The backup taken just before this release's migrations ran. */
  preUpgradeBackup: { id: number; sha256: string; path: string } | null;
}

export interface DatabaseDecision {
  mode: DatabaseMode;
  reasons: string[];
  /** For restore: the backup to restore. */
  backup?: { id: number; sha256: string; path: string; takenBefore: string };
  /** For restore: the releases whose migrations the restore undoes (their recorded facts are cleared after it). */
  undoes?: string[];
  /** For down: the one migration to revert. */
  down?: { release: string; id: string; name: string };
}

export interface DatabaseDecisionInput {
  hasDatabase: boolean;
  /** Releases after the LKG up to and including the current one, oldest first. */
  since: ReleaseDatabaseFacts[];
  override?: DatabaseOverride;
}

export function decideDatabaseRollback(input: DatabaseDecisionInput): DatabaseDecision {
  if (!input.hasDatabase) return { mode: 'code-only', reasons: ['no database is configured for this environment'] };
  const migrations = input.since.flatMap((r) => r.migrations.map((m) => ({ release: r.version, ...m })));
  /** The newest backup taken before release index `upTo` or earlier, and what restoring it undoes. */
  const backupAtOrBefore = (upTo: number): Pick<DatabaseDecision, 'backup' | 'undoes'> => {
    for (let i = upTo; i >= 0; i--) {
      const release = input.since[i]!;
      if (release.preUpgradeBackup) return { backup: { ...release.preUpgradeBackup, takenBefore: release.version }, undoes: input.since.slice(i).map((r) => r.version) };
    }
    return {};
  };
  const firstWithBackup = input.since.findIndex((r) => r.preUpgradeBackup);
  const { backup } = firstWithBackup >= 0 ? backupAtOrBefore(firstWithBackup) : { backup: undefined };

  if (input.override === 'skip') {
    return { mode: 'code-only', reasons: ['the operator chose --db skip: the schema is left as it is (audited)'] };
  }
  if (input.override === 'down') {
    if (migrations.length !== 1) {
      return {
        mode: 'freeze',
        reasons: [`--db down reverts exactly one migration and ${migrations.length} were applied since the last known good release (downs are never chained: each one is read before it runs)`],
      };
    }
    const only = migrations[0]!;
    if (!only.hasDown) return { mode: 'freeze', reasons: [`--db down: migration ${only.name} has no down migration`] };
    return { mode: 'down', reasons: [`the operator chose --db down: revert ${only.name} (one step)`], down: { release: only.release, id: only.id, name: only.name } };
  }
  if (input.override === 'restore') {
    if (!backup) return { mode: 'freeze', reasons: ['--db restore: no pre-upgrade backup is recorded for the releases since the last known good one'] };
    return { mode: 'restore', reasons: [`the operator chose --db restore: backup #${backup.id} taken before ${backup.takenBefore}`], ...backupAtOrBefore(firstWithBackup) };
  }

  if (migrations.length === 0) return { mode: 'code-only', reasons: ['no migration was applied since the last known good release'] };
  const risky = input.since.filter((r) => r.migrations.length > 0 && (r.verdict === 'breaking' || r.verdict === 'unknown'));
  if (risky.length === 0) {
    return {
      mode: 'code-only',
      reasons: [`migrations ${migrations.map((m) => m.name).join(', ')} are additive: the last known good code runs against the new schema, so the database stays as it is`],
    };
  }
  const why = risky.flatMap((r) => (r.reasons.length ? r.reasons.map((reason) => `${r.version}: ${reason}`) : [`${r.version}: migrations are ${r.verdict}`]));
  const chosen = backupAtOrBefore(input.since.indexOf(risky[0]!));
  if (!chosen.backup) {
    return { mode: 'freeze', reasons: [...why, 'no pre-upgrade backup is recorded to restore: roll forward with a fix instead (or --db skip at your own risk)'] };
  }
  return { mode: 'restore', reasons: [...why, `restore backup #${chosen.backup.id}, taken before ${chosen.backup.takenBefore} was deployed`], ...chosen };
}

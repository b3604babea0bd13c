import type { Ledger, ReleaseRecord } from '../../ports/ledger.js';
import type { ReleaseDatabaseFacts } from './database-rollback-decision.js';

/**
 * The facts the database-aware rollback decides from: every release deployed after the rollback
 * target (by registration sequence) up to the one rolled back from, oldest first, with what its
 * deploy recorded and its pre-upgrade backup if that still exists. Shared by `rollback` and `advise`.
 */
export async function databaseFactsSince(ledger: Ledger, env: string, from: ReleaseRecord | null, to: ReleaseRecord): Promise<ReleaseDatabaseFacts[]> {
  const top = from?.seq ?? Number.POSITIVE_INFINITY;
  const releases = (await ledger.listReleases(env, { limit: 10_000 })).filter((r) => r.seq > to.seq && r.seq <= top && r.database !== null).reverse();
  const since: ReleaseDatabaseFacts[] = [];
  for (const release of releases) {
    const facts = release.database!;
    const backup = facts.preUpgradeBackupId === null ? undefined : await ledger.getBackup(facts.preUpgradeBackupId);
    since.push({
      version: release.version,
      migrations: facts.migrations,
      verdict: facts.verdict,
      reasons: facts.reasons,
      preUpgradeBackup: backup && backup.deletedAt === null ? { id: backup.id, sha256: backup.sha256, path: backup.path } : null,
    });
  }
  return since;
}

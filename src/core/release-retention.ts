import type { Ledger, ReleaseRecord, ReleaseState } from '../ports/ledger.js';

/**
 * Which releases rewind keeps, on disk (the prune step) and in its artifact store: one policy.
 *
 * Never removed, whatever their age: the current release, the last known good one, the releases
 * an unfinished operation goes from or to (and, on disk, what `current` or a slot points at).
 * Beyond those, prune keeps `keep` release directories, preferring releases that can be rolled back
 * to (good, or superseded: good until a newer one replaced it) over the rest, newest by registration
 * order within each group: a failed release is never a rollback target, so it is the first to go.
 *
 * The store keeps a release's artifact while the release is protected as above, among the newest
 * `keep` rollback targets of its environment, or registered and not deployed yet (registered after
 * the current release: still to be deployed). A failed, rolled-back or skipped release, and a good
 * one beyond the newest `keep`, does not need it; an entry several releases share stays while any
 * of them needs it.
 */

/** Reached good and still stands: what findLastKnownGood chooses from. */
export const ROLLBACK_TARGET_STATES: readonly ReleaseState[] = ['good', 'superseded'];

export function isRollbackTarget(release: ReleaseRecord): boolean {
  return ROLLBACK_TARGET_STATES.includes(release.state);
}

/** The order prune keeps releases in: rollback targets first, then the rest; newest first within each. */
export function retentionOrder(a: ReleaseRecord, b: ReleaseRecord): number {
  const group = Number(isRollbackTarget(b)) - Number(isRollbackTarget(a));
  return group !== 0 ? group : b.seq - a.seq;
}

/** Why prune removed a release it did not keep (`keep` releases ranked before it). */
export function pruneReason(release: ReleaseRecord, keep: number): string {
  switch (release.state) {
    case 'good':
    case 'superseded':
      return `beyond the newest ${keep} good`;
    case 'failed':
      return 'failed: never a rollback target';
    case 'rolled-back':
      return 'rolled back: not a last known good candidate';
    case 'registered':
      return 'never deployed';
    default:
      return `${release.state}, never marked good`;
  }
}

/** What an environment's ledger says must stay: the current release, the LKG, what running operations use. */
export async function protectedByLedger(ledger: Ledger, env: string): Promise<{ versions: Set<string>; current: ReleaseRecord | null }> {
  const versions = new Set<string>();
  const environment = await ledger.getEnvironment(env);
  const currentVersion = environment?.currentVersion ?? null;
  if (currentVersion) versions.add(currentVersion);
  const lkg = await ledger.findLastKnownGood(env, currentVersion);
  if (lkg) versions.add(lkg.version);
  for (const op of await ledger.findRunningOperations(env)) {
    versions.add(op.toVersion);
    if (op.fromVersion) versions.add(op.fromVersion);
  }
  const current = currentVersion ? ((await ledger.getRelease(env, currentVersion)) ?? null) : null;
  return { versions, current };
}

/** What one environment needs from the artifact store. */
export interface ArtifactNeeds {
  keep: number;
  /** Never pruned (see protectedByLedger; the environment being pruned adds what its target shows). */
  protected: Set<string>;
  /** Its newest `keep` rollback targets. */
  newestGood: Set<string>;
  /** Registration sequence of the current release (null: none); registered releases after it are still to be deployed. */
  currentSeq: number | null;
}

export async function artifactNeeds(ledger: Ledger, env: string, keep: number, alsoProtected: Iterable<string> = []): Promise<ArtifactNeeds> {
  const { versions, current } = await protectedByLedger(ledger, env);
  for (const version of alsoProtected) versions.add(version);
  const newestGood = new Set((await ledger.listReleases(env, { limit: keep, states: ROLLBACK_TARGET_STATES })).map((r) => r.version));
  return { keep, protected: versions, newestGood, currentSeq: current?.seq ?? null };
}

/** Why `release` still needs its stored artifact, or null when it does not. */
export function needsArtifact(release: ReleaseRecord, needs: ArtifactNeeds): string | null {
  if (needs.protected.has(release.version)) return 'current, last known good, or in use';
  if (needs.newestGood.has(release.version)) return `among the newest ${needs.keep} good`;
  if (release.state === 'registered' && (needs.currentSeq === null || release.seq > needs.currentSeq)) return 'registered, not deployed yet';
  return null;
}

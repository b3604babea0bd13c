import type { ReleaseRecord } from '../ports/ledger.js';

/**
 * Why `status` shows no last known good release, said relative to the current one. The LKG is the
 * newest release that reached good and was not judged since, *other than the current one*
 * (docs/architecture.md), so right after a rollback (automatic or not) the release that serves is
 * good and there is often none: "current 1.0.0 (good)" beside "last known good none" reads as a
 * contradiction unless it says so. When a release reached good once but was judged since (rolled
 * back from, or failed a later deploy), it is no LKG, but `rollback --to` still takes it: say how.
 *
 * `releases` are the environment's releases (any order); null when there is an LKG to show.
 */
export function lastKnownGoodNote(env: string, current: ReleaseRecord | undefined, lkg: ReleaseRecord | undefined, releases: readonly ReleaseRecord[]): string | null {
  if (lkg) return null;
  if (!current) return 'nothing is deployed yet';
  const currentIsGood = current.goodSeq !== null && (current.state === 'good' || current.state === 'superseded');
  const note = currentIsGood
    ? `${current.version}, the current release, is the newest good release: a rollback needs an older one`
    : `no release reached good before ${current.version} (${current.state})`;
  const once = releases
    .filter((r) => r.version !== current.version && r.goodSeq !== null)
    .sort((a, b) => b.goodSeq! - a.goodSeq!)[0];
  if (!once) return note;
  const since = once.state === 'rolled-back' ? 'was rolled back from since' : once.state === 'failed' ? 'failed its checks since' : `is ${once.state} now`;
  return `${note}; ${once.version} reached good but ${since} (\`rewind rollback ${env} --to ${once.version}\` returns to it)`;
}

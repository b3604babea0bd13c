import type { Ledger } from '../../ports/ledger.js';
import type { StateSnapshot } from '../../ports/state-store.js';

/**
 * Where a rollback finds the state snapshot to put back. Snapshots are journaled by the deploy that
 * took them (the `state-snapshot` step's detail, in the ledger), not in the backups table, whose
 * rows the database restores choose from: a Redis RDB must never be picked as a database backup.
 */

/** A snapshot as journaled, and as a rollback plan carries it (plain data, no secret). */
export interface StateSnapshotRecord extends Omit<StateSnapshot, 'durationMs'> {
  /** The release whose state it holds: the one running when the deploy took it. */
  release: string | null;
  operationId: string;
  takenAt: string;
}

/** How many of the environment's newest operations are searched for a release's snapshot. */
const SEARCH_LIMIT = 500;

/** A snapshot step's journal detail: the snapshot, and the older snapshot files it pruned. */
type SnapshotDetail = StateSnapshotRecord & { pruned?: string[] };

/** Every journaled snapshot of `env`, newest first, and the files retention removed since. */
export async function journaledSnapshots(ledger: Ledger, env: string): Promise<{ snapshots: StateSnapshotRecord[]; pruned: Set<string> }> {
  const operations = (await ledger.listOperations(env, { limit: SEARCH_LIMIT })).filter((o) => o.kind === 'deploy' && o.fromVersion !== null);
  const snapshots: StateSnapshotRecord[] = [];
  const pruned = new Set<string>();
  for (const operation of operations) {
    const taken = (await ledger.listSteps(operation.id)).filter((s) => s.stepId === 'state-snapshot' && s.state === 'succeeded').at(-1);
    const detail = taken?.detail as SnapshotDetail | undefined;
    if (!detail?.path) continue;
    snapshots.push(detail);
    for (const path of detail.pruned ?? []) pruned.add(path);
  }
  return { snapshots, pruned };
}

/**
 * The newest journaled snapshot of `release`'s state in `env`, or null. One that retention removed
 * is skipped (the release is then rolled back without it); one whose file is gone otherwise is
 * returned, and the rollback's check refuses it.
 */
export async function findStateSnapshot(ledger: Ledger, env: string, release: string): Promise<StateSnapshotRecord | null> {
  const { snapshots, pruned } = await journaledSnapshots(ledger, env);
  return snapshots.find((s) => s.release === release && !pruned.has(s.path)) ?? null;
}

/**
 * Which snapshot files retention removes (`state.keep`): all but the newest `keep`, except the
 * newest snapshot of each release that can still be rolled back to (`protectedReleases`).
 */
export function snapshotsToPrune(snapshots: readonly StateSnapshotRecord[], pruned: ReadonlySet<string>, keep: number, protectedReleases: ReadonlySet<string>): string[] {
  const live = snapshots.filter((s) => !pruned.has(s.path));
  const kept = new Set(live.slice(0, keep).map((s) => s.path));
  for (const release of protectedReleases) {
    const newest = live.find((s) => s.release === release);
    if (newest) kept.add(newest.path);
  }
  return live.filter((s) => !kept.has(s.path)).map((s) => s.path);
}

export interface StateDecision {
  /** The snapshot to put back; absent: the state store is left as it is. */
  restore?: StateSnapshotRecord;
  reasons: string[];
}

/** Whether a rollback to `to` restores the state store, from `state.restoreOnRollback` and the database decision. */
export function decideStateRestore(setting: 'with-database' | 'always' | 'never', databaseRestores: boolean, to: string, snapshot: StateSnapshotRecord | null): StateDecision {
  if (setting === 'never') return { reasons: ['restoreOnRollback: never: the state store is left as it is'] };
  if (setting === 'with-database' && !databaseRestores) return { reasons: ['the database is not restored, so neither is the state store (restoreOnRollback: with-database)'] };
  if (!snapshot) return { reasons: [`no state snapshot of ${to} is journaled: the state store is left as it is`] };
  const why = setting === 'always' ? 'restoreOnRollback: always' : 'the database is restored (restoreOnRollback: with-database)';
  const loose = snapshot.exactCounts ? '' : '; its key counts moved while it was taken, so they are compared loosely';
  return { restore: snapshot, reasons: [`restore the snapshot of ${to} taken ${snapshot.takenAt} (${why})${loose}`] };
}

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

/** The newest journaled snapshot of `release`'s state in `env`, or null. */
export async function findStateSnapshot(ledger: Ledger, env: string, release: string): Promise<StateSnapshotRecord | null> {
  const operations = await ledger.listOperations(env, { limit: SEARCH_LIMIT });
  // Newest first; a deploy snapshots the release it upgrades from.
  for (const operation of operations.filter((o) => o.kind === 'deploy' && o.fromVersion === release)) {
    const steps = await ledger.listSteps(operation.id);
    const taken = steps.filter((s) => s.stepId === 'state-snapshot' && s.state === 'succeeded').at(-1);
    const detail = taken?.detail as StateSnapshotRecord | undefined;
    if (detail?.path && detail.release === release) return detail;
  }
  return null;
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

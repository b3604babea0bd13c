import type { StateSnapshotRecord } from '../../state/state-snapshots.js';
import type { PlanStep } from '../../plan.js';
import { step } from './step.js';

/** Step builders for the state store next to the database (Redis): snapshot, check, restore, cleanup (plain data, no I/O). */

/** Deploy preflight, after the database backup: the state the running release leaves, before anything changes. */
export function stateSnapshotStep(store: string, release: string | null): PlanStep {
  return step({
    id: 'state-snapshot',
    kind: 'state-snapshot',
    phase: 'preflight',
    title: `${store} snapshot${release ? ` (state of ${release})` : ''}`,
    params: { release },
    effects: [
      'BGSAVE; wait until LASTSAVE moves and INFO persistence reports rdb_last_bgsave_status:ok (a refused BGSAVE stops here, nothing changed)',
      'copy the RDB into the backups with its sha256; key counts per prefix by SCAN',
      'one line in the backups log',
    ],
  });
}

/** Rollback preflight: the snapshot must be the bytes recorded before anything is stopped. */
export function stateCheckStep(snapshot: StateSnapshotRecord): PlanStep {
  return step({
    id: 'state-check',
    kind: 'state-check',
    phase: 'preflight',
    title: `check the state snapshot of ${snapshot.release ?? 'the first deploy'}: sha256 and RDB header`,
    params: { snapshot },
    effects: ['refuse before anything is touched if it does not match'],
  });
}

/** Puts the snapshot back (the app is stopped by then) and compares key counts. */
export function stateRestoreStep(store: string, snapshot: StateSnapshotRecord, restart: readonly string[]): PlanStep {
  return step({
    id: 'state-restore',
    kind: 'state-restore',
    phase: 'change',
    title: `restore the ${store} snapshot of ${snapshot.release ?? 'the first deploy'}`,
    params: { snapshot },
    commands: [{ argv: restart }],
    effects: [
      'checksum checked again; SHUTDOWN NOSAVE',
      `put ${snapshot.path} back as the RDB${snapshot.aof ? ', and build a fresh append-only file from it (the old one moved aside): with appendonly yes Redis loads the AOF, not the RDB' : ' (and build the AOF from it if AOF is on now)'}`,
      'start Redis with the restart argv; wait for PING and INFO loading:0',
      'compare key counts per prefix with the snapshot; keys whose TTL passed meanwhile are reported',
    ],
  });
}

/** Session cleanup: SCAN + UNLINK by pattern, or FLUSHDB only when configured explicitly. */
export function stateCleanupStep(store: string, cleanup: { patterns: readonly string[]; flushdb: boolean }, phase: PlanStep['phase']): PlanStep {
  return step({
    id: 'state-cleanup',
    kind: 'state-cleanup',
    phase,
    title: cleanup.flushdb ? `FLUSHDB on ${store}` : `delete ${store} keys matching ${cleanup.patterns.join(', ')}`,
    params: { patterns: [...cleanup.patterns], flushdb: cleanup.flushdb },
    effects: [cleanup.flushdb ? 'FLUSHDB (configured: cleanup.flushdb)' : 'SCAN MATCH each pattern, UNLINK each batch (never KEYS)', 'journal the count per pattern'],
  });
}

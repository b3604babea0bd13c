import { appendFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { toRewindError } from '../../errors/rewind-error.js';
import { failed, succeeded, type Outcome } from '../../ports/outcome.js';
import type { KeyCounts, StateStore } from '../../ports/state-store.js';
import { backupBaseName } from '../database/database-backup.js';
import { journaledSnapshots, snapshotsToPrune, type StateSnapshotRecord } from '../state/state-snapshots.js';
import type { StepContext, StepExecutor } from './step-context.js';

/**
 * The state store half of deploys and rollbacks (seed 004): a snapshot in the deploy's preflight,
 * its check and restore in a rollback that needs it, and session cleanup. Each is journaled; the
 * snapshot's record is its step's detail, which is where a rollback finds it (state-snapshots.ts).
 */

type StateSettings = NonNullable<StepContext['config']['state']>;

function storeOf(context: StepContext): { store: StateStore; settings: StateSettings } | Outcome {
  const settings = context.config.state;
  if (!settings) return failed(`environment ${context.env} has no state store (state:)`, undefined, 'REWIND_E_CONFIG_INVALID');
  if (!context.services.createStateStore) return failed('this rewind was wired without state stores', undefined, 'REWIND_E_CONFIG_INVALID');
  return { store: context.services.createStateStore(context.env, context.config), settings };
}

async function appendLog(settings: StateSettings, line: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(settings.backupLog), { recursive: true });
  await appendFile(settings.backupLog, `${JSON.stringify(line)}\n`);
}

const listCounts = (counts: KeyCounts): string =>
  Object.entries(counts)
    .map(([prefix, c]) => `${prefix} ${c.keys}`)
    .join(', ');

export const stateSnapshot: StepExecutor = async (step, context) => {
  const found = storeOf(context);
  if ('status' in found) return found;
  const { store, settings } = found;
  const release = (step.params.release as string | null) ?? null;
  const at = context.now();
  const destination = join(settings.backupDir ?? resolve('backups', context.env, 'redis'), `${backupBaseName(context.env, at, 'pre-upgrade', release)}.rdb`);
  try {
    const snapshot = await store.snapshot(destination);
    const record: StateSnapshotRecord = { ...snapshot, release, operationId: context.operation.id, takenAt: new Date(at).toISOString() };
    const { durationMs, ...rest } = snapshot;
    await appendLog(settings, { at: record.takenAt, event: 'state_snapshot_complete', env: context.env, release, store: store.type, ...rest, durationMs });
    await context.services.sink.emit({ event: 'state_snapshot_complete', env: context.env, release, store: store.type, ...rest, durationMs });
    const pruned = settings.keep ? await pruneSnapshots(context, settings, record, settings.keep) : [];
    const counts = listCounts(snapshot.keyCounts);
    return succeeded(
      `${store.describe()} snapshot ${snapshot.path} (${snapshot.size} bytes, sha256 ${snapshot.sha256.slice(0, 12)}…, Redis ${snapshot.version}, AOF ${snapshot.aof ? 'on' : 'off'})${counts ? `; keys ${counts}` : ''}${pruned.length ? `; removed ${pruned.length} older snapshot${pruned.length > 1 ? 's' : ''} (keep: ${settings.keep})` : ''}`,
      { ...record, durationMs, ...(pruned.length ? { pruned } : {}) },
    );
  } catch (error) {
    const coded = toRewindError(error);
    await context.services.sink.emit({ event: 'state_snapshot_failed', env: context.env, release, store: store.type, code: coded.code, error: coded.message });
    return failed(coded.message, undefined, coded.code);
  } finally {
    await store.close();
  }
};

/**
 * Retention (`state.keep`): the older snapshot files beyond the newest `keep` go, except the newest
 * snapshot of each release that can still be rolled back to. Their paths are journaled with this
 * snapshot, so a rollback knows they were removed on purpose; each gets a line in the backups log.
 */
async function pruneSnapshots(context: StepContext, settings: StateSettings, taken: StateSnapshotRecord, keep: number): Promise<string[]> {
  const { snapshots, pruned } = await journaledSnapshots(context.ledger, context.env);
  const releases = await context.ledger.listReleases(context.env, { limit: 100_000 });
  const targets = new Set(releases.filter((r) => (r.state === 'good' || r.state === 'superseded') && r.goodSeq !== null).map((r) => r.version));
  const current = (await context.ledger.getEnvironment(context.env))?.currentVersion;
  if (current) targets.add(current);
  const gone = snapshotsToPrune([taken, ...snapshots], pruned, keep, targets);
  for (const path of gone) {
    await rm(path, { force: true });
    await appendLog(settings, { at: new Date(context.now()).toISOString(), event: 'state_snapshot_pruned', env: context.env, path, keep });
  }
  return gone;
}

export const stateCheck: StepExecutor = async (step, context) => {
  const found = storeOf(context);
  if ('status' in found) return found;
  const snapshot = step.params.snapshot as StateSnapshotRecord;
  const verdict = await found.store.verify(snapshot);
  if (!verdict.ok) return failed(`state snapshot ${snapshot.path} refused before anything was touched: ${verdict.reason}`, { path: snapshot.path }, 'REWIND_E_BACKUP_CORRUPT');
  return succeeded(`state snapshot ${snapshot.path} matches sha256 ${snapshot.sha256.slice(0, 12)}…`, { path: snapshot.path });
};

export const stateRestore: StepExecutor = async (step, context) => {
  const found = storeOf(context);
  if ('status' in found) return found;
  const { store, settings } = found;
  const snapshot = step.params.snapshot as StateSnapshotRecord;
  try {
    const report = await store.restore(snapshot);
    const expired = Object.entries(report.expired);
    const expiredNote = expired.length
      ? `; ${expired.map(([prefix, n]) => `${n} key${n > 1 ? 's' : ''} under ${prefix}`).join(', ')} expired while the snapshot waited (their TTL passed; Redis does not load expired keys)`
      : '';
    const line = { env: context.env, operationId: context.operation.id, release: snapshot.release, store: store.type, path: snapshot.path, ...report };
    await appendLog(settings, { at: new Date(context.now()).toISOString(), event: 'state_restore_complete', ...line });
    await context.services.sink.emit({ event: 'state_restore_complete', ...line });
    const counts = listCounts(report.keyCounts);
    return succeeded(
      `restored ${store.describe()} from ${snapshot.path}${counts ? `; keys ${counts}` : ''}${expiredNote}${report.aofMovedTo ? `; the previous append-only file is at ${report.aofMovedTo}` : ''}`,
      { path: snapshot.path, keyCounts: report.keyCounts, expired: report.expired, aofMovedTo: report.aofMovedTo, restoreMs: report.durationMs },
    );
  } catch (error) {
    const coded = toRewindError(error);
    return failed(`restore of state snapshot ${snapshot.path} failed: ${coded.message}`, { path: snapshot.path }, coded.code);
  }
};

export const stateCleanup: StepExecutor = async (step, context) => {
  const found = storeOf(context);
  if ('status' in found) return found;
  const { store, settings } = found;
  try {
    const report = await store.cleanup({ patterns: step.params.patterns as string[], flushdb: step.params.flushdb === true });
    const line = { env: context.env, operationId: context.operation.id, store: store.type, ...report };
    await appendLog(settings, { at: new Date(context.now()).toISOString(), event: 'state_cleanup_complete', ...line });
    await context.services.sink.emit({ event: 'state_cleanup_complete', ...line });
    const what = Object.entries(report.deleted).map(([pattern, n]) => `${n} ${pattern}`).join(', ');
    return succeeded(report.flushed ? `FLUSHDB: ${report.deleted['*']} keys removed` : `deleted ${what}`, { ...report });
  } catch (error) {
    const coded = toRewindError(error);
    return failed(`state cleanup failed: ${coded.message}`, undefined, coded.code);
  }
};

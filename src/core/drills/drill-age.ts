import type { BackupRecord, DrillRecord, Ledger } from '../../ports/ledger.js';

const DAY_MS = 86_400_000;

export interface DrillStanding {
  /** The newest drill that passed; null: none did. */
  lastPassed: DrillRecord | null;
  /** Set when `status` should warn: no passing drill, or the last one is older than drills.maxAgeDays. */
  warning: string | null;
}

/** When the environment last practised a rollback, and whether that is too long ago (seeds 002, 004: quarterly). */
export async function drillStanding(ledger: Ledger, env: string, maxAgeDays: number, now: number): Promise<DrillStanding> {
  const lastPassed = (await ledger.listDrills({ env, limit: 200 })).find((d) => d.state === 'passed') ?? null;
  if (!lastPassed) return { lastPassed, warning: `no rollback drill has passed on ${env}: run \`rewind drill ${env}\` (drills.maxAgeDays: ${maxAgeDays})` };
  const ageDays = Math.floor((now - lastPassed.startedAt) / DAY_MS);
  if (ageDays > maxAgeDays) return { lastPassed, warning: `the last rollback drill on ${env} passed ${ageDays} days ago, more than drills.maxAgeDays (${maxAgeDays}): run \`rewind drill ${env}\`` };
  return { lastPassed, warning: null };
}

/** How `status` describes a backup's trust: only a backup a database drill restored and checked is trusted. */
export function backupTrust(backup: BackupRecord): { trusted: boolean; note: string } {
  const restore = backup.testRestore;
  if (!restore) return { trusted: false, note: 'untrusted: never test-restored (rewind drill <env> --database)' };
  const when = new Date(restore.at).toISOString();
  return restore.ok ? { trusted: true, note: `test-restored at ${when}, ok` } : { trusted: false, note: `untrusted: test restore at ${when} failed: ${restore.reason ?? 'see rewind drill history'}` };
}

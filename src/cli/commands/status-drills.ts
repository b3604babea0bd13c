import { backupTrust, drillStanding } from '../../core/drills/drill-age.js';
import type { Ledger } from '../../ports/ledger.js';
import type { styleOf } from '../cli-io.js';

/** The drill and backup-trust part of `rewind status` (docs/drills.md). */
export async function drillStatus(ledger: Ledger, env: string, maxAgeDays: number, now: number) {
  const [{ lastPassed, warning }, backups] = await Promise.all([drillStanding(ledger, env, maxAgeDays, now), ledger.listBackups(env)]);
  const newest = backups[0];
  return {
    drills: {
      lastPassed: lastPassed ? { id: lastPassed.id, kind: lastPassed.kind, failure: lastPassed.failure, at: new Date(lastPassed.startedAt).toISOString(), ttdMs: lastPassed.ttdMs, ttrMs: lastPassed.ttrMs } : null,
      maxAgeDays,
      warning,
    },
    newestBackup: newest ? { id: newest.id, kind: newest.kind, createdAt: new Date(newest.createdAt).toISOString(), ...backupTrust(newest) } : null,
  };
}

export function drillLines(status: Awaited<ReturnType<typeof drillStatus>>, env: string, style: ReturnType<typeof styleOf>): string[] {
  const lines: string[] = [];
  const last = status.drills.lastPassed;
  const timing = last && last.kind === 'failure' ? `, detected in ${last.ttdMs ?? '?'} ms, recovered in ${last.ttrMs ?? '?'} ms` : '';
  lines.push(`last drill      ${last ? `#${last.id} ${last.kind}${last.failure ? ` (${last.failure})` : ''} passed at ${last.at}${timing}` : 'none'} — \`rewind drill history ${env}\``);
  if (status.drills.warning) lines.push(`${style.warn('drill overdue')}   ${status.drills.warning}`);
  const backup = status.newestBackup;
  if (backup) lines.push(`newest backup   #${backup.id} (${backup.kind}, ${backup.createdAt}): ${backup.trusted ? backup.note : style.warn(backup.note)}`);
  return lines;
}

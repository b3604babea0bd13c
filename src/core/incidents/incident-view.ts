import type { IncidentRecord, IncidentRollbackFacts, Ledger, StepRecord } from '../../ports/ledger.js';
import { firstFailedStep } from './incident-severity.js';

/**
 * An incident as people read it: the stored record plus its timeline and what it cost, read from
 * the journals of its rollbacks (and of the deploys that started them). Only stored data goes in,
 * so reading it twice gives the same answer.
 */
export type TimelineKind = 'detected' | 'rollback-initiated' | 'database-restored' | 'rollback-completed' | 'rollback-failed' | 'service-restored' | 'service-not-restored';

export interface TimelineEntry {
  /** null: not recorded (a person fills it in). */
  at: number | null;
  kind: TimelineKind;
  text: string;
  operationId: string;
}

export interface IncidentView extends IncidentRecord {
  timeline: TimelineEntry[];
  /** From the first detection (or the first rollback's start) to the last time service was restored; null: not restored. */
  detectedAt: number | null;
  restoredAt: number | null;
  downtimeMs: number | null;
  /** What the database plans lost, in words; empty: nothing known lost. */
  dataLoss: string[];
}

const VERIFY_KINDS = new Set(['health', 'smoke', 'watch', 'db-verify']);
const iso = (ms: number) => new Date(ms).toISOString();

export async function viewIncident(ledger: Ledger, incident: IncidentRecord): Promise<IncidentView> {
  const timeline: TimelineEntry[] = [];
  let restoredAt: number | null = null;
  // A detection time a person gave dates the first rollback no failing check dated.
  const personDated = incident.rollbacks.find((r) => r.parentId === null)?.operationId;
  for (const facts of incident.rollbacks) {
    const entries = await rollbackTimeline(ledger, facts, facts.operationId === personDated ? incident.fields.detectedAt : undefined);
    timeline.push(...entries);
    const restored = entries.find((e) => e.kind === 'service-restored');
    // Service is restored by the last rollback that restored it; a later failed one undoes that.
    restoredAt = restored ? restored.at : facts.succeeded ? restoredAt : null;
  }
  const detections = timeline.filter((e) => e.kind === 'detected' && e.at !== null).map((e) => e.at!);
  const detectedAt = detections.length ? Math.min(...detections) : (timeline.find((e) => e.kind === 'rollback-initiated')?.at ?? null);
  return {
    ...incident,
    timeline,
    detectedAt,
    restoredAt,
    downtimeMs: detectedAt !== null && restoredAt !== null ? restoredAt - detectedAt : null,
    dataLoss: incident.rollbacks.flatMap(dataLossOf),
  };
}

async function rollbackTimeline(ledger: Ledger, facts: IncidentRollbackFacts, detectedByPerson: number | undefined): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  const operationId = facts.operationId;
  const operation = await ledger.getOperation(operationId);
  if (facts.parentId) {
    const failed = firstFailedStep(await ledger.listSteps(facts.parentId));
    if (failed) {
      const message = (failed.detail as { message?: string } | null)?.message ?? failed.state;
      entries.push({ at: failed.finishedAt ?? failed.startedAt, kind: 'detected', text: `${failed.stepId} of the deploy of ${facts.from ?? 'the release'} failed: ${message}`, operationId });
    }
  } else {
    entries.push({ at: detectedByPerson ?? null, kind: 'detected', text: `reported by a person${facts.reason ? `: ${facts.reason}` : ''}`, operationId });
  }
  if (!operation) return entries;
  entries.push({ at: operation.startedAt, kind: 'rollback-initiated', text: `${facts.trigger} rollback ${facts.from ?? 'none'} → ${facts.to} by ${operation.actor} (operation ${operationId})`, operationId });
  const steps = await ledger.listSteps(operationId);
  const restore = steps.find((s) => (s.kind === 'db-restore' || s.kind === 'db-down') && s.state === 'succeeded');
  if (restore) entries.push({ at: restore.finishedAt, kind: 'database-restored', text: messageOf(restore), operationId });
  // A rollback that failed only after rollback-complete (its post-rollback watch) did switch back.
  const completed = steps.some((s) => s.kind === 'rollback-complete' && s.state === 'succeeded');
  if (!facts.succeeded && !completed) {
    entries.push({ at: operation.finishedAt, kind: 'rollback-failed', text: `rollback failed: ${operation.error ?? 'see rewind history'}`, operationId });
    return entries;
  }
  // Completed: the switch back is done (activation); restored: the checks after it passed too.
  const switched = [...steps].reverse().find((s) => (s.kind === 'activate' || s.kind === 'shift-traffic') && s.state === 'succeeded');
  entries.push({ at: switched?.finishedAt ?? operation.finishedAt, kind: 'rollback-completed', text: switched ? `${facts.to} activated: ${messageOf(switched)}` : `${facts.to} serves again`, operationId });
  const checks = steps.filter((s) => VERIFY_KINDS.has(s.kind));
  if (checks.length > 0 && checks.every((s) => s.state === 'succeeded')) {
    const at = Math.max(...checks.map((s) => s.finishedAt ?? s.startedAt));
    entries.push({ at, kind: 'service-restored', text: `post-rollback checks passed: ${checks.map((s) => s.stepId).join(', ')}`, operationId });
  } else if (checks.some((s) => s.state !== 'succeeded')) {
    const failed = checks.find((s) => s.state !== 'succeeded')!;
    entries.push({ at: failed.finishedAt ?? operation.finishedAt, kind: 'service-not-restored', text: `service not restored: ${failed.stepId} ${failed.state}: ${messageOf(failed)}`, operationId });
  } else if (checks.length === 0) {
    entries.push({ at: operation.finishedAt, kind: 'service-restored', text: 'no post-rollback check is configured: restored as far as rewind can tell, not verified', operationId });
  }
  return entries;
}

function messageOf(step: StepRecord): string {
  return (step.detail as { message?: string } | null)?.message ?? step.stepId;
}

function dataLossOf(facts: IncidentRollbackFacts): string[] {
  const db = facts.database;
  if (!db) return [];
  if (db.mode === 'restore') {
    const since = db.backupTakenAt !== undefined ? iso(db.backupTakenAt) : 'the backup was taken (time not recorded)';
    return [`writes made since ${since} are lost: the database was restored from backup #${db.backupId ?? '?'} (rollback ${facts.operationId})`];
  }
  if (db.mode === 'down') return [`data held only by what the down migration removed is lost (rollback ${facts.operationId})`];
  return [];
}

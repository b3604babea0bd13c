import type { Plan } from '../plan.js';
import type { IncidentRecord, IncidentRollbackFacts, OperationRecord } from '../../ports/ledger.js';
import type { Services } from '../services.js';
import { classifyRollback, firstFailedStep, worstSeverity } from './incident-severity.js';
import { viewIncident } from './incident-view.js';

/**
 * Every rollback opens an incident for its environment, or joins the one still open. Called when
 * the rollback has ended; it never throws and never changes the rollback's outcome: if the incident
 * cannot be written, it says so on stderr and, when it can, in the audit log.
 */
export async function recordIncident(services: Services, plan: Plan, operation: OperationRecord, succeeded: boolean): Promise<IncidentRecord | undefined> {
  try {
    return await openOrJoin(services, plan, operation, succeeded);
  } catch (error) {
    const message = (error as Error).message;
    services.warn?.(`warning: the incident for rollback ${operation.id} could not be recorded (${message}); the rollback's outcome stands — record it by hand with \`rewind incident\``);
    await services.sink.emit({ event: 'incident_record_failed', env: plan.env, operationId: operation.id, error: message }).catch(() => undefined);
    return undefined;
  }
}

async function openOrJoin(services: Services, plan: Plan, operation: OperationRecord, succeeded: boolean): Promise<IncidentRecord> {
  const { ledger } = services;
  const already = await ledger.findIncidentByOperation(operation.id);
  if (already) return already;
  const facts = await rollbackFacts(services, plan, operation, succeeded);
  const open = await ledger.findOpenIncident(plan.env);
  if (!open) {
    const incident = await ledger.createIncident({ env: plan.env, severity: facts.severity, openedAt: operation.startedAt, rollbacks: [facts] });
    await services.sink.emit({ event: 'incident_opened', env: plan.env, operationId: operation.id, from: plan.from, to: plan.to, incidentId: incident.id, severity: incident.severity, issue: facts.issue });
    return incident;
  }
  const severity = worstSeverity(open.severity, facts.severity);
  const rollbacks = [...open.rollbacks, facts];
  await ledger.updateIncident(open.id, { severity, rollbacks }, services.now());
  await services.sink.emit({ event: 'incident_joined', env: plan.env, operationId: operation.id, from: plan.from, to: plan.to, incidentId: open.id, severity, issue: facts.issue });
  return { ...open, severity, rollbacks };
}

async function rollbackFacts(services: Services, plan: Plan, operation: OperationRecord, succeeded: boolean): Promise<IncidentRollbackFacts> {
  const parentSteps = operation.parentId ? await services.ledger.listSteps(operation.parentId) : [];
  const cls = classifyRollback(operation, succeeded, parentSteps);
  const facts: IncidentRollbackFacts = {
    operationId: operation.id,
    parentId: operation.parentId,
    trigger: plan.automatic ? 'automatic' : 'manual',
    from: plan.from,
    to: plan.to,
    succeeded,
    issue: cls.issue,
    severity: cls.severity,
    rule: cls.rule,
    reason: plan.reason ?? operation.reason,
  };
  if (plan.database) {
    const backup = plan.database.backupId !== undefined ? await services.ledger.getBackup(plan.database.backupId) : undefined;
    facts.database = { mode: plan.database.mode, reasons: plan.database.reasons, ...(plan.database.backupId !== undefined ? { backupId: plan.database.backupId } : {}), ...(backup ? { backupTakenAt: backup.createdAt } : {}) };
  }
  if (plan.ci) {
    const { provider, repository, commit, verdict, summary, fetchedAt, checks, allowedUntested } = plan.ci;
    facts.ci = { provider, repository, commit, verdict, summary, fetchedAt, checks: checks.map((c) => ({ name: c.name, result: c.conclusion ?? c.status, id: c.id })), ...(allowedUntested ? { allowedUntested } : {}) };
  }
  return facts;
}

/** What the incident texts (notify) are filled from; every field may be absent. */
export interface IncidentNotice {
  severity?: string;
  issue?: string;
  incidentId?: number;
  detectedAt?: string;
  impact?: string;
}

/**
 * For `rollback_start`: the severity the decision matrix gives this rollback if it succeeds (the
 * worse of it and the open incident's, which it will join), that incident's number and the impact a
 * person recorded there, and when the deploy's first failed check detected the problem. A rollback
 * that opens a new incident has no number yet: the incident is recorded when the rollback ends, so
 * that a rollback that fails is recorded as one. Never throws: the alert is not worth a rollback.
 */
export async function incidentAtStart(services: Services, plan: Plan, operation: OperationRecord): Promise<IncidentNotice> {
  try {
    const parentSteps = operation.parentId ? await services.ledger.listSteps(operation.parentId) : [];
    const cls = classifyRollback(operation, true, parentSteps);
    const detected = operation.parentId ? firstFailedStep(parentSteps) : undefined;
    const open = await services.ledger.findOpenIncident(plan.env);
    return {
      severity: open ? worstSeverity(open.severity, cls.severity) : cls.severity,
      issue: cls.issue,
      ...(open ? { incidentId: open.id } : {}),
      ...(open?.fields.impact ? { impact: open.fields.impact } : {}),
      ...(detected ? { detectedAt: new Date(detected.finishedAt ?? detected.startedAt).toISOString() } : {}),
    };
  } catch {
    return {};
  }
}

/** For `rollback_complete`: the incident as recorded (number, severity, impact) and when it was detected. */
export async function incidentAtEnd(services: Services, incident: IncidentRecord | undefined, operation: OperationRecord): Promise<IncidentNotice> {
  if (!incident) return {};
  try {
    const view = await viewIncident(services.ledger, incident);
    const facts = incident.rollbacks.find((r) => r.operationId === operation.id);
    return {
      severity: incident.severity,
      ...(facts ? { issue: facts.issue } : {}),
      incidentId: incident.id,
      ...(incident.fields.impact ? { impact: incident.fields.impact } : {}),
      ...(view.detectedAt !== null ? { detectedAt: new Date(view.detectedAt).toISOString() } : {}),
    };
  } catch {
    return { severity: incident.severity, incidentId: incident.id };
  }
}

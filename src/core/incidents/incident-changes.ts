import { RewindError } from '../../errors/rewind-error.js';
import type { IncidentFields, IncidentRecord, Ledger } from '../../ports/ledger.js';
import { SEVERITIES } from '../advisor/advice.js';
import type { Services } from '../services.js';
import { isSeverity } from './incident-severity.js';

/** The text fields people fill in, as `incident update` names them. */
export const TEXT_FIELDS = ['summary', 'impact', 'usersAffected', 'rootCause', 'whyNotCaught', 'prevention', 'resolution'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface IncidentUpdate {
  text?: Partial<Record<TextField, string>>;
  severity?: string;
  /** ISO 8601 time a person noticed the problem. */
  detected?: string;
  addActions?: string[];
  /** 1-based positions, as `incident show` numbers them. */
  removeActions?: number[];
}

export async function requireIncident(ledger: Ledger, id: string): Promise<IncidentRecord> {
  const n = /^#?[1-9][0-9]{0,15}$/.test(id) ? Number(id.replace('#', '')) : NaN;
  const incident = Number.isSafeInteger(n) ? await ledger.getIncident(n) : undefined;
  if (!incident) throw new RewindError('REWIND_E_INCIDENT_NOT_FOUND', `no incident ${JSON.stringify(id)}`, { incident: id });
  return incident;
}

function requireOpen(incident: IncidentRecord): void {
  if (incident.status === 'closed') throw new RewindError('REWIND_E_INCIDENT_CLOSED', `incident #${incident.id} is closed`, { env: incident.env, incident: incident.id });
}

/**
 * Applies a person's changes. Everything is checked before anything is written, so bad input is a
 * coded error that changes nothing; what changed lands in the audit log with its new value.
 */
export async function updateIncident(services: Services, id: string, update: IncidentUpdate): Promise<IncidentRecord> {
  const incident = await requireIncident(services.ledger, id);
  requireOpen(incident);
  const fields: IncidentFields = { ...incident.fields };
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(update.text ?? {}) as [TextField, string | undefined][]) {
    if (value === undefined) continue;
    if (!value.trim()) throw usage(`--${flagOf(key)} needs a text (it cannot be emptied)`);
    fields[key] = value;
    changes[key] = value;
  }
  let severity: string | undefined;
  if (update.severity !== undefined) {
    if (!isSeverity(update.severity)) throw usage(`--severity must be one of ${SEVERITIES.join(', ')}, not ${JSON.stringify(update.severity)}`);
    severity = update.severity;
    changes.severity = severity;
  }
  if (update.detected !== undefined) {
    const at = /^\d{4}-\d{2}-\d{2}T/.test(update.detected) ? Date.parse(update.detected) : NaN;
    if (!Number.isFinite(at)) throw usage(`--detected needs an ISO 8601 time (2026-03-01T12:00:00Z), not ${JSON.stringify(update.detected)}`);
    fields.detectedAt = at;
    changes.detectedAt = at;
  }
  let actions = [...(fields.actionItems ?? [])];
  const remove = [...new Set(update.removeActions ?? [])];
  for (const n of remove) {
    if (!Number.isInteger(n) || n < 1 || n > actions.length) throw usage(`--remove-action ${n}: the incident has ${actions.length} action item(s), numbered from 1`);
  }
  if (remove.length) {
    changes.removedActions = remove.sort((a, b) => a - b).map((n) => actions[n - 1]!.text);
    actions = actions.filter((_, i) => !remove.includes(i + 1));
  }
  for (const text of update.addActions ?? []) {
    if (!text.trim()) throw usage('--add-action needs a text');
    actions.push({ text, addedAt: services.now(), addedBy: services.actor });
  }
  if (update.addActions?.length) changes.addedActions = update.addActions;
  if (update.addActions?.length || remove.length) fields.actionItems = actions;
  if (Object.keys(changes).length === 0) throw usage('incident update needs at least one change (see rewind incident --help)');
  await services.ledger.updateIncident(incident.id, { fields, ...(severity ? { severity } : {}) }, services.now());
  await services.sink.emit({ event: 'incident_updated', env: incident.env, incidentId: incident.id, changes });
  return (await services.ledger.getIncident(incident.id))!;
}

export async function closeIncident(services: Services, id: string, resolution?: string): Promise<IncidentRecord> {
  const incident = await requireIncident(services.ledger, id);
  requireOpen(incident);
  if (resolution !== undefined && !resolution.trim()) throw usage('--resolution needs a text');
  const fields = resolution ? { ...incident.fields, resolution } : incident.fields;
  await services.ledger.updateIncident(incident.id, { status: 'closed', closedAt: services.now(), closedBy: services.actor, fields }, services.now());
  await services.sink.emit({ event: 'incident_closed', env: incident.env, incidentId: incident.id, resolution: resolution ?? null });
  return (await services.ledger.getIncident(incident.id))!;
}

export const flagOf = (field: TextField): string => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const usage = (message: string) => new RewindError('REWIND_E_USAGE', message);

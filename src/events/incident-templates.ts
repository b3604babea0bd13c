import { RewindError } from '../errors/rewind-error.js';
import type { RewindEvent } from './event-catalog.js';
import {
  DEFAULT_ALERT_TEMPLATE,
  DEFAULT_INCIDENT_SETTINGS,
  DEFAULT_RESOLVED_TEMPLATE,
  FALLBACK_SEVERITY,
  PLACEHOLDER,
  TEMPLATE_PLACEHOLDERS,
  unknownPlaceholders,
  type IncidentSettings,
  type Placeholder,
} from './incident-template-constants.js';

export { DEFAULT_ALERT_TEMPLATE, DEFAULT_INCIDENT_SETTINGS, DEFAULT_RESOLVED_TEMPLATE, TEMPLATE_PLACEHOLDERS, unknownPlaceholders, type IncidentSettings };

/** `2026-12-06 10:54 UTC`: minutes are what people read in an incident channel, and UTC is what teams across zones share. */
export function incidentTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `4 s`, `2 min 5 s`, `1 h 3 min`. */
export function incidentDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function fill(template: string, values: Record<Placeholder, string>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!Object.hasOwn(values, name)) {
      throw new RewindError('REWIND_E_CONFIG_INVALID', `notify.incident template names {{${name}}}, which rewind does not fill (known: ${TEMPLATE_PLACEHOLDERS.join(', ')})`, { placeholder: name });
    }
    return values[name as Placeholder];
  });
}

type IncidentView = {
  event: string;
  env: string;
  operationId?: string;
  from?: string | null;
  to?: string | null;
  trigger?: string;
  reason?: string;
  error?: string | null;
  durationMs?: number;
  at?: number;
  severity?: string;
  incidentId?: number;
  detectedAt?: string;
  impact?: string;
};

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The incident text for an event: the alert for `rollback_start`, the resolution for a
 * `rollback_complete` that succeeded; undefined for every other event (its summary line is used).
 */
export function incidentText(event: RewindEvent, settings: IncidentSettings = DEFAULT_INCIDENT_SETTINGS): string | undefined {
  const e = event as IncidentView;
  const template = e.event === 'rollback_start' ? (settings.alert ?? DEFAULT_ALERT_TEMPLATE) : e.event === 'rollback_complete' && (event as { success?: boolean }).success === true ? (settings.resolved ?? DEFAULT_RESOLVED_TEMPLATE) : undefined;
  if (template === undefined) return undefined;
  const at = typeof e.at === 'number' ? e.at : Date.now();
  const minute = 60_000;
  const why = e.reason ?? e.error ?? undefined;
  const failed = e.from;
  // A person's words on the incident first, then the environment's, then what rewind knows.
  const impact = e.impact ?? settings.impact ?? `${e.env} served release ${failed ?? 'none'}, which failed${why ? `: ${why}` : ''}`;
  const started = e.event === 'rollback_complete' && typeof e.durationMs === 'number' ? at - e.durationMs : at;
  const detected = typeof e.detectedAt === 'string' && !Number.isNaN(Date.parse(e.detectedAt)) ? Math.min(Date.parse(e.detectedAt), started) : started;
  const incident = typeof e.incidentId === 'number' ? `#${e.incidentId}` : e.event === 'rollback_start' ? 'new (its number follows in the resolution)' : 'not recorded';
  return fill(template, {
    env: e.env,
    from: e.from ?? 'none',
    to: e.to ?? 'none',
    operationId: e.operationId ?? '',
    trigger: e.trigger ?? '',
    reason: why ?? '',
    incident,
    incidentId: typeof e.incidentId === 'number' ? String(e.incidentId) : '',
    severity: settings.severity ?? (e.severity ? capitalized(e.severity) : FALLBACK_SEVERITY),
    impact,
    eta: `${settings.etaMinutes} min (${incidentTime(started + settings.etaMinutes * minute)})`,
    detectedAt: incidentTime(detected),
    initiatedAt: incidentTime(started),
    estimatedCompleteAt: incidentTime(started + settings.etaMinutes * minute),
    completedAt: incidentTime(at),
    nextUpdateAt: incidentTime(at + settings.nextUpdateMinutes * minute),
    duration: typeof e.durationMs === 'number' ? incidentDuration(e.durationMs) : 'unknown',
  });
}

// The incident texts' defaults and placeholders: what the config schema checks templates against,
// apart from the renderer (incident-templates.ts) so the schema loads no rendering code.

/**
 * Seed 002's "Incident Notification Template" and "Resolution Notification", as the default texts
 * of a rollback's start and its success (Slack's message and text fallback). Placeholders are
 * `{{name}}`, filled from the event (which carries the incident: its number, the decision matrix's
 * severity, when it was detected) and the environment's `notify.incident` settings; a template that
 * names any other is refused when the config is loaded.
 */
export const DEFAULT_ALERT_TEMPLATE = `🚨 INCIDENT ALERT

**Status**: Rollback in progress
**Incident**: {{incident}}
**Severity**: {{severity}}
**Impact**: {{impact}}
**Action**: Rolling back {{env}} to version {{to}}
**ETA**: {{eta}}

**Timeline:**
- {{detectedAt}} - Issue detected
- {{initiatedAt}} - Rollback initiated
- {{estimatedCompleteAt}} - Rollback complete (estimated)

**Next Update**: {{nextUpdateAt}}`;

export const DEFAULT_RESOLVED_TEMPLATE = `✅ INCIDENT RESOLVED

**Status**: Resolved
**Incident**: {{incident}}
**Severity**: {{severity}}
**Resolution**: Rolled back {{env}} to version {{to}}
**Duration**: {{duration}}
**Impact**: {{impact}}

**Next Steps:**
- Root cause analysis scheduled
- Fix planned for next deployment
- Post-mortem meeting scheduled

Thank you for your patience.`;

/** What `notify.incident` sets for an environment's texts. */
export interface IncidentSettings {
  /** Pins the severity of every text; default: the incident's, from the decision matrix. */
  severity?: string;
  /** Said under Impact; default: which release failed, and why when rewind knows. */
  impact?: string;
  /** How long a rollback is expected to take (the ETA and the estimated completion). */
  etaMinutes: number;
  /** When the next update is promised, after the alert. */
  nextUpdateMinutes: number;
  alert?: string;
  resolved?: string;
}

export const DEFAULT_INCIDENT_SETTINGS: IncidentSettings = { etaMinutes: 5, nextUpdateMinutes: 30 };

/** Said under Severity when neither the event nor the config gives one (a message queued by an older rewind). */
export const FALLBACK_SEVERITY = 'Critical';

/** Every placeholder a template may use. */
export const TEMPLATE_PLACEHOLDERS = [
  'env',
  'from',
  'to',
  'operationId',
  'incident',
  'incidentId',
  'trigger',
  'reason',
  'severity',
  'impact',
  'eta',
  'detectedAt',
  'initiatedAt',
  'estimatedCompleteAt',
  'completedAt',
  'nextUpdateAt',
  'duration',
] as const;
export type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

export const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders a template names that rewind does not fill (empty: the template is fine). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_PLACEHOLDERS);
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.has(name)))];
}

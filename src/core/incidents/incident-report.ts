import { ACT_WITHIN } from '../advisor/decision-matrix.js';
import type { Severity } from '../advisor/advice.js';
import { flagOf, type TextField } from './incident-changes.js';
import type { ChecklistView } from './checklist.js';
import type { IncidentView, TimelineKind } from './incident-view.js';

/**
 * `rewind incident report`: seed 004's incident report template and seed 002's post-rollback
 * sections, filled from the incident, plus seed 004's internal and user notification texts. Only
 * stored data goes in (no "now"), so the same incident renders to the same bytes. A value nobody
 * recorded is an explicit placeholder naming the command that fills it.
 */
export interface IncidentReport {
  incidentId: number;
  env: string;
  title: string;
  sections: { heading: string; level: 2 | 3; lines: string[] }[];
  notifications: { internal: { subject: string; body: string }; user: { subject: string; body: string } };
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
const clock = (ms: number) => `${iso(ms).slice(11, 16)} UTC`;
const minutes = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
};

const TIMELINE_WORDS: Record<TimelineKind, string> = {
  detected: 'Issue detected',
  'rollback-initiated': 'Rollback initiated',
  'database-restored': 'Database restored',
  'rollback-completed': 'Rollback completed',
  'rollback-failed': 'Rollback failed',
  'service-restored': 'Service restored',
  'service-not-restored': 'Service not restored',
};

export function buildIncidentReport(view: IncidentView, checklists: ChecklistView[] = []): IncidentReport {
  const { fields } = view;
  const fill = (field: TextField, what: string) => fields[field] ?? placeholder(view.id, what, `--${flagOf(field)} "…"`);
  const last = view.rollbacks.at(-1)!;
  const first = view.rollbacks[0]!;
  const restored = view.restoredAt !== null;
  const downtime = view.downtimeMs !== null ? minutes(view.downtimeMs) : placeholder(view.id, 'downtime: service not restored by a rollback yet', 'close it when service is back');
  const dataLoss = view.dataLoss.length ? `Yes — ${view.dataLoss.join('; ')}` : `No — ${first.database ? `database plan ${view.rollbacks.map((r) => r.database?.mode ?? 'none').join(', ')}: nothing restored` : 'no database configured; code-only rollback'}`;
  const autoSummary = `${first.trigger === 'automatic' ? `The deploy of ${first.from ?? 'a release'} to ${view.env} failed its checks and rewind rolled back by itself` : `${first.from ?? 'The release'} on ${view.env} was rolled back by hand${first.reason ? ` (${first.reason})` : ''}`} to ${last.to}. Severity ${view.severity} (${first.rule}).`;
  const timeline = view.timeline.map((e) => `- ${e.at === null ? placeholder(view.id, 'time detected', '--detected <ISO time>') : iso(e.at)} ${TIMELINE_WORDS[e.kind]} — ${e.text}`);
  const resolution = [
    fields.resolution ?? `Rolled back from ${first.from ?? 'none'} to ${last.to}.`,
    '',
    ...view.rollbacks.flatMap((r) => [
      `- ${r.trigger} rollback ${r.from ?? 'none'} → ${r.to} (operation ${r.operationId}): ${r.succeeded ? 'succeeded' : 'FAILED'}; database: ${r.database ? `${r.database.mode} — ${r.database.reasons.join('; ')}` : 'none configured (code-only)'}`,
      ...(r.ci ? [ciLine(r.to, r.ci)] : []),
    ]),
  ];
  const actions = fields.actionItems?.length ? fields.actionItems.map((a) => `- [ ] ${a.text}`) : ['- [ ] Fix underlying issue', '- [ ] Add monitoring', '- [ ] Update tests', '- [ ] Document learnings', '', placeholder(view.id, 'action items (the usual ones above until you add yours)', '--add-action "…"')];
  const sections: IncidentReport['sections'] = [
    { heading: 'Summary', level: 2, lines: [fields.summary ?? autoSummary, '', `Incident #${view.id} · ${view.env} · severity ${view.severity} (act within ${ACT_WITHIN[view.severity as Severity] ?? '?'}) · ${view.status}${view.closedAt !== null ? ` ${iso(view.closedAt)} by ${view.closedBy}` : ''}`] },
    { heading: 'Timeline', level: 2, lines: timeline },
    { heading: 'Impact', level: 2, lines: [`- Users affected: ${fill('usersAffected', 'users affected')}`, `- Downtime: ${downtime}`, `- Data loss: ${dataLoss}`, `- Impact: ${fill('impact', 'impact')}`] },
    { heading: 'Root Cause', level: 2, lines: [fill('rootCause', 'root cause')] },
    { heading: 'Resolution', level: 2, lines: resolution },
    { heading: 'Prevention', level: 2, lines: [fill('prevention', 'steps to prevent similar issues')] },
    { heading: 'Action Items', level: 2, lines: actions },
    { heading: 'Root Cause Analysis', level: 2, lines: [
      `- Timeline of events: see Timeline above`,
      `- What went wrong: ${fill('rootCause', 'what went wrong')}`,
      `- Why it wasn't caught earlier: ${fill('whyNotCaught', "why it wasn't caught earlier")}`,
      `- How to prevent in future: ${fill('prevention', 'how to prevent it in future')}`,
    ] },
    { heading: 'Update Procedures', level: 2, lines: ['- [ ] Add tests to prevent regression', '- [ ] Update deployment checklist', '- [ ] Improve monitoring/alerting', '- [ ] Enhance staging environment'] },
    ...(checklists.length ? [{ heading: 'Rollback Checklist', level: 2 as const, lines: checklists.flatMap(checklistLines) }] : []),
  ];
  const internalBody = [
    `We experienced an issue with the deployment of ${first.from ?? 'a release'} to ${view.env} on ${day(view.openedAt)} and have rolled back to the previous stable version.`,
    '',
    `Impact: ${fill('impact', 'brief description of the impact')}`,
    `Duration: ${downtime}`,
    `Resolution: Rolled back to v${last.to}`,
    '',
    fields.rootCause ? `Root cause: ${fields.rootCause}` : 'Root cause investigation in progress.',
    '',
    `Current status: ${restored ? 'All systems operational.' : 'service not restored yet; investigation ongoing.'}`,
  ].join('\n');
  const window = view.detectedAt !== null && view.restoredAt !== null ? between(view.detectedAt, view.restoredAt) : `between ${placeholder(view.id, 'start time', '--detected <ISO time>')} and ${placeholder(view.id, 'end time', 'a rollback whose checks pass')}`;
  const userBody = [
    `We briefly experienced technical difficulties ${window}.`,
    '',
    restored ? 'The issue has been resolved and all services are now operating normally.' : 'We are working on the issue and will update you shortly.',
    '',
    'We apologize for any inconvenience.',
  ].join('\n');
  return {
    incidentId: view.id,
    env: view.env,
    title: `Incident Report: ${day(view.openedAt)} Rollback`,
    sections,
    notifications: {
      internal: { subject: `[${restored ? 'RESOLVED' : 'ONGOING'}] ${view.env} Rollback - ${day(view.openedAt)}`, body: internalBody },
      user: { subject: 'Service Update', body: userBody },
    },
  };
}

export function renderReportMarkdown(report: IncidentReport): string {
  const out = [`# ${report.title}`, ''];
  for (const section of report.sections) out.push(`${'#'.repeat(section.level)} ${section.heading}`, ...section.lines, '');
  out.push('## Communication', '', '### Internal notification', '', '```', `Subject: ${report.notifications.internal.subject}`, '', report.notifications.internal.body, '```', '');
  out.push('### User notification', '', '```', `Subject: ${report.notifications.user.subject}`, '', report.notifications.user.body, '```', '');
  return out.join('\n');
}

const MARK = { done: '[x]', 'not-applicable': '[-]', open: '[ ]' } as const;

function checklistLines(list: ChecklistView): string[] {
  return [
    `**Rollback ${list.operationId} (${list.from ?? 'none'} → ${list.to})**: ${list.open.length} open`,
    ...list.items.map((i) => `- ${MARK[i.state]} ${i.phase}: ${i.text} — ${i.by === 'person' ? `${i.actor}: ${i.note}` : i.by === 'rewind' ? `rewind: ${i.evidence}` : i.evidence}`),
    '',
  ];
}

/** Seed 003 "confirm the rolled-back release passed CI", from the evidence stored with the rollback (no "now"). */
function ciLine(to: string, ci: NonNullable<IncidentView['rollbacks'][number]['ci']>): string {
  const where = `${ci.provider} ${ci.repository}${ci.commit ? `@${ci.commit}` : ''}`;
  const checks = ci.checks.map((c) => `${c.name} ${c.result} #${c.id}`).join(', ');
  const untested = ci.allowedUntested ? ' — UNTESTED: let through by --allow-untested, a separate incident' : '';
  return `  - CI of ${to}: ${ci.verdict.toUpperCase()} on ${where}, read ${iso(ci.fetchedAt)}${checks ? ` (${checks})` : ''}${untested}`;
}

function between(start: number, end: number): string {
  return day(start) === day(end) ? `between ${clock(start)} and ${clock(end)} on ${day(start)}` : `between ${iso(start)} and ${iso(end)}`;
}

function placeholder(id: number, what: string, how: string): string {
  return how.startsWith('--') ? `[TO FILL IN: ${what} — rewind incident update ${id} ${how}]` : `[TO FILL IN: ${what} — ${how}]`;
}

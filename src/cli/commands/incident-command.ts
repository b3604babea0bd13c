import { closeIncident, requireIncident, TEXT_FIELDS, updateIncident, flagOf, type IncidentUpdate, type TextField } from '../../core/incidents/incident-changes.js';
import { changelogForIncident, hasUserImpact } from '../../core/incidents/changelog-run.js';
import type { Services } from '../../core/services.js';
import type { RewindConfig } from '../../config/config-schema.js';
import type { IncidentRecord } from '../../ports/ledger.js';
import { viewIncident, type IncidentView } from '../../core/incidents/incident-view.js';
import { RewindError } from '../../errors/rewind-error.js';
import { environmentConfig } from '../../config/load-config.js';
import { toJson } from '../../util/iso-times.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs, unknownSubcommand } from '../parse-args.js';

export const usage = `rewind incident list [<env>] [--open|--closed] [--limit N] [--json]
       rewind incident show <id> [--json]
       rewind incident update <id> [--impact T] [--users-affected T] [--root-cause T] [--why-not-caught T]
                              [--prevention T] [--summary T] [--resolution T] [--severity S] [--detected ISO]
                              [--add-action T]... [--remove-action N]... [--json]
       rewind incident close <id> [--resolution T] [--json]
       rewind incident report <id> [--json]
       rewind incident changelog <id> [--dry-run] [--security] [--json]`;
export const help = `${usage}

Every rollback (by hand, or the one a failed deploy starts) opens an incident for its environment, or
joins the one still open there. rewind records what it knows: the severity (the rollback decision
matrix, as \`rewind advise\` applies it: a failed automatic deploy is High, a failed migration High,
an error rate over 5 % Critical, a failed rollback Critical, a rollback by hand Medium until you say
otherwise), the versions, what the rollback did to the database and what it lost (a restore loses
the writes made since its backup was taken), and a timeline read from the journal: detected,
rollback initiated, completed, service restored. People add the rest with \`update\`.

  list    incidents, newest first (all environments unless <env> is given)
  show    one incident with its timeline and what it lost
  update  set impact, users affected, root cause, why it was not caught, prevention, summary,
          resolution, severity (critical|high|medium|low), when it was detected (ISO 8601 time, for
          a rollback by hand); add action items (--add-action, repeatable) or remove them by number
          (--remove-action, as \`show\` numbers them). Each change is audited (incident_updated).
  close   close it (audited); a later rollback opens a new incident
  report  the incident report as Markdown (summary, timeline, impact, root cause, resolution,
          prevention, action items, root cause analysis, and the internal and user notification texts), or as JSON; the same incident gives the same bytes.
          What nobody recorded reads [TO FILL IN: … — the command that fills it].
  changelog  annotate the CHANGELOG configured at incidents.changelog (Keep a Changelog): a line under
          ## [Unreleased] / ### Fixed (### Security with --security or section: Security) naming each
          rollback (from → to), the incident and the reason, and the rolled-back release's entry
          marked [YANKED] with the reason. Only for an incident with user impact recorded (--impact or
          --users-affected). Idempotent; --dry-run prints the unified diff and changes nothing.
          \`close\` runs it by itself when a CHANGELOG is configured and impact is recorded.

Exit codes: 0 ok · 2 bad input (nothing changed) · 3 no such incident (REWIND_E_INCIDENT_NOT_FOUND)
· 4 the incident is closed (REWIND_E_INCIDENT_CLOSED), or \`changelog\` cannot annotate
(REWIND_E_CHANGELOG_*, nothing changed). See docs/incidents.md.`;

const SUBCOMMANDS = ['list', 'show', 'update', 'close', 'report', 'changelog'] as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const text = Object.fromEntries(TEXT_FIELDS.map((f) => [flagOf(f), { type: 'string' as const }]));
  const args = parseCommandArgs(
    argv,
    { ...text, open: { type: 'boolean' }, closed: { type: 'boolean' }, limit: { type: 'string' }, severity: { type: 'string' }, detected: { type: 'string' }, 'dry-run': { type: 'boolean' }, security: { type: 'boolean' }, 'add-action': { type: 'string', multiple: true }, 'remove-action': { type: 'string', multiple: true } },
    { min: 1, max: 2, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, target] = args.positionals as [string, string | undefined];
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw unknownSubcommand('incident', sub, SUBCOMMANDS, usage);
  if (sub !== 'list' && target === undefined) throw new RewindError('REWIND_E_USAGE', `incident ${sub} needs an incident id — usage: ${usage}`);
  const json = args.flag('json');
  const context = await openContext(args, io);
  try {
    const { ledger } = context;
    if (sub === 'list') {
      if (target !== undefined) environmentConfig(context.config, target);
      const limit = Number(args.string('limit') ?? '50');
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RewindError('REWIND_E_USAGE', `--limit must be an integer from 1 to 10000, not ${JSON.stringify(args.string('limit'))}`);
      const status = args.flag('open') ? 'open' : args.flag('closed') ? 'closed' : undefined;
      const incidents = await ledger.listIncidents({ env: target, status, limit });
      if (json) writeLine(io.stdout, toJson(incidents));
      else if (incidents.length === 0) writeLine(io.stdout, 'no incidents');
      else for (const i of incidents) writeLine(io.stdout, `#${i.id}  ${i.env}  ${i.status.padEnd(6)} ${i.severity.padEnd(8)} ${new Date(i.openedAt).toISOString()}  ${i.rollbacks.map((r) => `${r.from ?? 'none'} → ${r.to}`).join(', ')}`);
      return 0;
    }
    if (sub === 'show' || sub === 'report') {
      const incident = await requireIncident(ledger, target!);
      if (sub === 'show') {
        const view = await viewIncident(ledger, incident);
        writeLine(io.stdout, json ? toJson(view) : renderView(view));
      } else {
        const { incidentReportOf } = await import('../../core/incidents/incident-report-of.js');
        const { markdown, ...report } = await incidentReportOf(ledger, context.config, incident);
        io.stdout.write(json ? `${toJson({ ...report, markdown })}\n` : markdown);
      }
      return 0;
    }
    const services = await buildServices(context, io, { json: false, quiet: true });
    if (sub === 'changelog') {
      const result = await changelogForIncident(services, context.config, target!, { dryRun: args.flag('dry-run'), security: args.flag('security') });
      if (json) writeLine(io.stdout, toJson(result));
      else if (!result.changed) writeLine(io.stdout, `${result.path}: already annotated for incident #${result.incidentId}; nothing changed`);
      else io.stdout.write(result.dryRun ? result.diff : `${result.path}: annotated for incident #${result.incidentId} (### ${result.section})\n`);
      return 0;
    }
    const changed =
      sub === 'close'
        ? await closeIncident(services, target!, args.string('resolution'))
        : await updateIncident(services, target!, {
            text: Object.fromEntries(TEXT_FIELDS.map((f) => [f, args.string(flagOf(f))])) as Partial<Record<TextField, string>>,
            severity: args.string('severity'),
            detected: args.string('detected'),
            addActions: strings(args.values['add-action']),
            removeActions: strings(args.values['remove-action']).map(actionNumber),
          } satisfies IncidentUpdate);
    if (sub === 'close') await changelogOnClose(services, context.config, changed, io);
    const view = await viewIncident(ledger, changed);
    writeLine(io.stdout, json ? toJson(view) : renderView(view));
    return 0;
  } finally {
    await context.close();
  }
}

/**
 * Closing is when the record is final: user impact is a person's judgement, recorded with \`update\`
 * after the rollback (rarely known when the rollback ends), so the CHANGELOG is written then, not by
 * the rollback. The incident is closed whatever happens here; a CHANGELOG that cannot be annotated
 * is a warning naming the command to run once it is fixed.
 */
async function changelogOnClose(services: Services, config: RewindConfig, incident: IncidentRecord, io: CliIo): Promise<void> {
  if (!config.incidents?.changelog || !hasUserImpact(incident)) return;
  try {
    const result = await changelogForIncident(services, config, String(incident.id));
    if (result.changed) io.stderr.write(`${result.path}: annotated for incident #${incident.id} (### ${result.section})\n`);
  } catch (error) {
    const code = error instanceof RewindError ? `${error.code}: ` : '';
    io.stderr.write(`warning: the CHANGELOG was not annotated (${code}${(error as Error).message}); run \`rewind incident changelog ${incident.id}\` once it is fixed\n`);
  }
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

function actionNumber(given: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(given)) throw new RewindError('REWIND_E_USAGE', `--remove-action takes an action item's number (1, 2, …), not ${JSON.stringify(given)}`, { argument: '--remove-action' });
  return Number(given);
}

function renderView(view: IncidentView): string {
  const iso = (ms: number | null) => (ms === null ? '(not recorded)' : new Date(ms).toISOString());
  const f = view.fields;
  const lines = [
    `incident #${view.id}  ${view.env}  ${view.status}  severity ${view.severity}  opened ${iso(view.openedAt)}${view.closedAt !== null ? `  closed ${iso(view.closedAt)} by ${view.closedBy}` : ''}`,
    ...view.rollbacks.map((r) => `  rollback ${r.operationId}: ${r.trigger} ${r.from ?? 'none'} → ${r.to} ${r.succeeded ? 'succeeded' : 'FAILED'} — ${r.rule}${r.database ? `; database ${r.database.mode}${r.database.backupId !== undefined ? ` (backup #${r.database.backupId})` : ''}` : ''}`),
    'timeline:',
    ...view.timeline.map((e) => `  ${iso(e.at)}  ${e.kind.padEnd(18)} ${e.text}`),
    `downtime: ${view.downtimeMs === null ? 'service not restored by a rollback' : `${Math.round(view.downtimeMs / 1000)} s (detected → restored)`}`,
    `data loss: ${view.dataLoss.length ? view.dataLoss.join('; ') : 'none known'}`,
    ...TEXT_FIELDS.map((k) => `${flagOf(k)}: ${f[k] ?? '—'}`),
    'action items:',
    ...(f.actionItems?.length ? f.actionItems.map((a, i) => `  ${i + 1}. ${a.text}  (${a.addedBy}, ${iso(a.addedAt)})`) : ['  (none)']),
  ];
  return lines.join('\n');
}

import { requireRollback, tickItem, viewChecklist, type ChecklistView } from '../../core/incidents/checklist.js';
import { RewindError } from '../../errors/rewind-error.js';
import { toJson } from '../../util/iso-times.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { parseCommandArgs, unknownSubcommand } from '../parse-args.js';

export const usage = `rewind checklist show <rollback-operation-id> [--json]
       rewind checklist tick <rollback-operation-id> <item> --note <text> [--json]`;
export const help = `${usage}

The usual pre-, during- and post-rollback checklists (replace a list under incidents.checklists in
rewind.yaml), attached to each rollback operation. What rewind can
prove it ticks by itself, with the evidence from the journal: the rollback version (the last known
good release and why), the backup (its id and sha256), the activation, the database restore, the
health check, the smoke step, the post-rollback watch (watch.afterRollbackMs or rollback --watch; only one of at least incidents.watchMinutes)
and its metrics verdict, the incident record. Every other item is a person's job: \`tick\` it with a
note, which lands in the audit log (checklist_ticked). \`rewind status\` lists what is still open for
the latest rollback. The operation id is in \`rewind status\`, \`rewind history\` and \`incident show\`.

Exit codes: 0 ok · 2 bad input, an item the checklist does not have (REWIND_E_CHECKLIST_ITEM_UNKNOWN)
· 3 no such rollback (REWIND_E_OPERATION_NOT_FOUND). See docs/incidents.md.`;

const SUBCOMMANDS = ['show', 'tick'] as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { note: { type: 'string' } }, { min: 1, max: 3, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, operationId, item] = args.positionals as [string, string | undefined, string | undefined];
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw unknownSubcommand('checklist', sub, SUBCOMMANDS, usage);
  if (operationId === undefined || (sub === 'tick') !== (item !== undefined)) throw new RewindError('REWIND_E_USAGE', `usage: ${usage}`);
  const json = args.flag('json');
  const context = await openContext(args, io);
  try {
    let view: ChecklistView;
    if (sub === 'show') view = await viewChecklist(context.ledger, context.config, await requireRollback(context.ledger, operationId));
    else view = await tickItem(await buildServices(context, io, { json: false, quiet: true }), operationId, item!, args.string('note') ?? '');
    writeLine(io.stdout, json ? toJson(view) : renderChecklist(view));
    return 0;
  } finally {
    await context.close();
  }
}

const MARK = { done: '[x]', 'not-applicable': '[-]', open: '[ ]' } as const;

export function renderChecklist(view: ChecklistView): string {
  const lines = [`checklist of rollback ${view.operationId} (${view.env}: ${view.from ?? 'none'} → ${view.to}) — ${view.open.length} open`];
  let phase = '';
  for (const item of view.items) {
    if (item.phase !== phase) lines.push(`${item.phase === 'pre' ? 'Pre-rollback' : item.phase === 'during' ? 'During rollback' : 'Post-rollback'}:`);
    phase = item.phase;
    const who = item.by === 'rewind' ? `rewind: ${item.evidence}` : item.by === 'person' ? `${item.actor}: ${item.note}` : item.evidence;
    lines.push(`  ${MARK[item.state]} ${item.id.padEnd(24)} ${item.text}`, `      ${who}`);
  }
  return lines.join('\n');
}

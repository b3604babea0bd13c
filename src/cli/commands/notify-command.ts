import { environmentConfig } from '../../config/load-config.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { NotificationRecord } from '../../ports/ledger.js';
import { redactor } from '../../util/redact.js';
import { toJson } from '../../util/iso-times.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { openContext, type CliContext } from '../cli-context.js';
import { parseCommandArgs, unknownSubcommand, type ParsedArgs } from '../parse-args.js';

export const usage = 'rewind notify status [<env>] [--json]\n       rewind notify retry [<env>] [--dry-run] [--json]';
export const help = `${usage}

Notifications (notify.webhooks, notify.slack, notify.pagerduty) are queued in the ledger's outbox as
events happen and sent in the background, with retries (exponential backoff with full jitter, up to
notify.delivery.maxAttempts and maxAgeMs), so a receiver that hangs or fails never holds an
operation. What is still pending when a command ends is sent by the next command that runs
operations (deploy, rollback, resume, repair, db, unlock), or by \`notify retry\`.

  status  how many notifications are pending, delivered and dead, and each dead or pending one with
          its destination (scheme and host only: the rest of a URL is its secret), attempts and
          last error.
  retry   put the dead ones back in the outbox and send everything due now, waiting for the
          answers; audited (notify_retry). --dry-run lists what would be requeued, changing nothing.

<env> may be left out: every environment.

Exit codes: 0 done (status: whatever the counts); 2 usage or config (an unknown <env>); 3 the
ledger failed (REWIND_E_LEDGER).`;

const SUBCOMMANDS = ['status', 'retry'];

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' } }, { min: 1, max: 2, usage });
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const [sub, env] = args.positionals as [string, string | undefined];
  if (!SUBCOMMANDS.includes(sub)) throw unknownSubcommand('notify', sub, SUBCOMMANDS, usage);
  if (args.flag('dry-run') && sub !== 'retry') throw new RewindError('REWIND_E_USAGE', `--dry-run goes with notify retry — usage: ${usage}`, { argument: '--dry-run' });
  const context = await openContext(args, io);
  try {
    if (env !== undefined) environmentConfig(context.config, env);
    return sub === 'status' ? await status(context, args, env, io) : await retry(context, args, env, io);
  } finally {
    await context.close();
  }
}

/** A row for people and for --json: no payload (it is the event, in the audit log already). */
function shown(row: NotificationRecord) {
  return {
    id: row.id,
    env: row.env,
    notifier: row.notifier,
    destination: row.label,
    event: row.event,
    operationId: row.operationId,
    state: row.state,
    attempts: row.attempts,
    lastError: row.lastError,
    nextAttemptAt: row.state === 'pending' ? row.nextAttemptAt : null,
    createdAt: row.createdAt,
    key: row.key,
  };
}

const line = (row: ReturnType<typeof shown>) =>
  `  #${row.id} ${row.env} ${row.event} → ${row.notifier} ${row.destination} (${row.attempts} attempt${row.attempts === 1 ? '' : 's'})${row.lastError ? `: ${row.lastError}` : ''}`;

async function status(context: CliContext, args: ParsedArgs, env: string | undefined, io: CliIo): Promise<number> {
  const { ledger } = context;
  const counts = await ledger.countNotifications(env);
  const dead = (await ledger.listNotifications({ env, states: ['dead'], limit: 100 })).map(shown);
  const pending = (await ledger.listNotifications({ env, states: ['pending'], limit: 100 })).map(shown);
  if (args.flag('json')) {
    writeLine(io.stdout, redactor.redact(toJson({ env: env ?? null, counts, dead, pending })));
    return 0;
  }
  const out: string[] = [`notifications${env ? ` of ${env}` : ''}: ${counts.pending} pending, ${counts.delivered} delivered, ${counts.dead} dead`];
  if (dead.length) out.push('dead (rewind notify retry sends them again):', ...dead.map(line));
  if (pending.length) out.push('pending:', ...pending.map((row) => `${line(row)}, next attempt ${new Date(row.nextAttemptAt!).toISOString()}`));
  writeLine(io.stdout, redactor.redact(out.join('\n')));
  return 0;
}

async function retry(context: CliContext, args: ParsedArgs, env: string | undefined, io: CliIo): Promise<number> {
  const { ledger, config, actor } = context;
  const dead = await ledger.listNotifications({ env, states: ['dead'], limit: 10_000 });
  if (args.flag('dry-run')) {
    if (args.flag('json')) writeLine(io.stdout, redactor.redact(toJson({ dryRun: true, requeue: dead.map(shown) })));
    else writeLine(io.stdout, redactor.redact([`would requeue ${dead.length} dead notification(s)`, ...dead.map(shown).map(line)].join('\n')));
    return 0;
  }
  const requeued = await ledger.requeueNotifications({ env, ids: dead.map((r) => r.id), now: Date.now() });
  const [{ EventFanout, LedgerAuditSink }, { NotificationDeliverer, leaseFor, deadEvent }, { loadAdapters }, { DEFAULT_DELIVERY }, { ownValue }] = await Promise.all([
    import('../../events/event-sinks.js'),
    import('../../events/notification-deliverer.js'),
    import('../../adapters/registry.js'),
    import('../../adapters/notifiers/notify-config.js'),
    import('../../util/own-property.js'),
  ]);
  const audit = new EventFanout(actor, [new LedgerAuditSink(ledger, actor)]);
  for (const name of [...new Set(requeued.map((r) => r.env))]) {
    const ids = requeued.filter((r) => r.env === name).map((r) => r.id);
    await audit.emit({ event: 'notify_retry', env: name, ids, requeued: ids.length });
  }
  const { createNotifiers } = await loadAdapters(['notifier']);
  const destinations = createNotifiers((name) => ownValue(config.environments, name));
  const deliverer = new NotificationDeliverer(ledger, {
    destinations,
    policy: (name) => ownValue(config.environments, name)?.notify?.delivery ?? DEFAULT_DELIVERY,
    stderr: io.stderr,
    leaseMs: leaseFor(Object.keys(config.environments).flatMap(destinations)),
    onDead: (row, error) => audit.emit(deadEvent(row, error)),
  });
  const sent = await deliverer.deliverDue(env === undefined ? {} : { env });
  if (args.flag('json')) writeLine(io.stdout, redactor.redact(toJson({ requeued: requeued.map(shown), sent })));
  else writeLine(io.stdout, `requeued ${requeued.length} dead notification(s); sent now: ${sent.delivered} delivered, ${sent.retrying} to retry, ${sent.dead} dead`);
  return 0;
}

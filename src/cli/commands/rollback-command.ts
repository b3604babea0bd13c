import { createInterface } from 'node:readline/promises';
import { rollback } from '../../core/operations/rollback.js';
import { RewindError } from '../../errors/rewind-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { buildServices, openContext } from '../cli-context.js';
import { resolveEnvironment } from '../environment-argument.js';
import { parseCommandArgs } from '../parse-args.js';
import { renderPlan } from '../render-plan.js';
import { finishOperation } from './operation-output.js';

export const usage = 'rewind rollback [<env>] [--to <version>] [--db restore|down|skip] [--dry-run] [--yes] [--allow-untested] [--force] [--reason <text>] [--watch <duration>|off] [--json]';

export const help = `${usage}

Undo the current release: activate the last known good release (LKG) — the newest release that
reached "good" before the current one, chosen by recorded outcome and sequence, never by position
or file times — then check its health and record the outcome.

Plan: rollback_start → unpack the LKG if it was pruned → activate (atomic switch + reload)
→ health → rollback_complete. With traffic: (blue-green, canary) and the LKG still warm on its
slot, the rollback is only a traffic switch: rollback_start → switch-traffic → health →
rollback_complete; otherwise the LKG is booted on the idle slot and probed there first.
<env> may be left out when rewind.yaml defines a single environment: that one is used (named on
stderr); with several, leaving it out is REWIND_E_USAGE naming them.

With a database (environments.<env>.database) the plan also says what happens to it, and why:
  code only  every migration since the LKG is additive: the LKG's code runs on the new schema
  restore    one is breaking (or could not be checked): check the pre-upgrade backup's sha256 →
             stop the app → safety backup → restore → verify migration table and row counts →
             activate the LKG
  refuse     neither is safe (no backup to restore): REWIND_E_ROLLBACK_UNSAFE, roll forward instead

Options:
  --to <version>     roll back to this release instead of the LKG (it must have reached good)
  --dry-run          print the plan, argv included, and change nothing
  --yes              do not ask for confirmation (required when stdin is not a terminal)
  --allow-untested   allow a target whose CI result is not "passed" (running untested code is an incident of its own);
                     with a ci: gate the result is read from GitHub again now (docs/ci.md), and the override is audited
  --force            allow a --to release that never reached good
  --db restore       restore the pre-upgrade backup even though the migrations look additive
  --db down          revert exactly one migration with its down commands instead of a restore (only when one
                     migration was applied since the LKG and it has a down; its SQL and lint findings are shown)
  --db skip          leave the database as it is whatever the migrations did (needs --yes; audited)
  --reason <text>    why, for the audit log and the events
  --watch <duration> after the rollback, watch the restored release this long (30m, 90s, 2h) through
                     environments.<env>.watch's source, as the last step; "off" skips a configured
                     watch.afterRollbackMs. Passing it ticks the checklist's "monitor for 30 minutes"
                     (when at least incidents.watchMinutes) and "metrics normalized"; failing it fails
                     the rollback (exit 9: the older release stays, service is not restored)
  --json             print events as JSON lines

Exit codes: 0 rolled back and healthy; 4 nothing to roll back to, or refused as unsafe; 5 locked or
interrupted; 6 stopped in preflight, nothing changed (the cause is named, e.g. REWIND_E_BACKUP_CORRUPT);
9 the rollback failed (see docs/errors.md).`;

export async function run(argv: string[], io: CliIo, stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'allow-untested': { type: 'boolean' },
      force: { type: 'boolean' },
      reason: { type: 'string' },
      db: { type: 'string' },
      watch: { type: 'string' },
    },
    { min: 0, max: 1, usage },
  );
  if (args.flag('help')) return (io.stdout.write(`${help}\n`), 0);
  const db = args.string('db');
  if (db !== undefined && db !== 'restore' && db !== 'down' && db !== 'skip') {
    throw new RewindError('REWIND_E_USAGE', `--db must be restore, down or skip, not ${JSON.stringify(db)}`, { argument: '--db' });
  }
  if (db === 'skip' && !args.flag('yes') && !args.flag('dry-run')) {
    throw new RewindError('REWIND_E_CONFIRM_REQUIRED', '--db skip rolls the code back onto a schema it may not handle: pass --yes to confirm (it is recorded in the audit log)', { argument: '--yes' });
  }
  const watch = args.string('watch');
  const options = { watchMs: watch === undefined ? undefined : parseWatch(watch), to: args.string('to'), allowUntested: args.flag('allow-untested'), force: args.flag('force'), reason: args.string('reason'), db: db as 'restore' | 'down' | 'skip' | undefined };
  const context = await openContext(args, io);
  try {
    const env = resolveEnvironment(args.positionals[0], Object.keys(context.config.environments), io, usage);
    const json = args.flag('json');
    if (args.flag('dry-run')) {
      const services = await buildServices(context, io, { json, quiet: true });
      return finishOperation(await rollback(services, env, { ...options, dryRun: true }), io, json);
    }
    if (!args.flag('yes')) {
      if (!stdin.isTTY) throw new RewindError('REWIND_E_CONFIRM_REQUIRED', 'rollback changes production and stdin is not a terminal: pass --yes', { argument: '--yes' });
      const preview = await rollback(await buildServices(context, io, { json, quiet: true }), env, { ...options, dryRun: true });
      writeLine(io.stdout, renderPlan(preview.plan));
      const prompt = createInterface({ input: stdin, output: io.stdout as NodeJS.WritableStream });
      const answer = await prompt.question(`Roll ${env} back to ${preview.plan.to}? [y/N] `);
      prompt.close();
      if (!/^y(es)?$/i.test(answer.trim())) return (writeLine(io.stdout, 'aborted: nothing was changed'), 1);
    }
    const services = await buildServices(context, io, { json });
    return finishOperation(await rollback(services, env, options), io, json);
  } finally {
    await context.close();
  }
}

/** `--watch 30m` / `90s` / `2h` / `1500ms`, or `off`: a length people type, at least a second. */
function parseWatch(text: string): number | null {
  if (text === 'off') return null;
  const match = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  const ms = match ? Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 1000)) throw new RewindError('REWIND_E_USAGE', `--watch takes a length of at least 1 s such as 30m, 90s or 2h, or off; not ${JSON.stringify(text)}`, { argument: '--watch' });
  return ms;
}

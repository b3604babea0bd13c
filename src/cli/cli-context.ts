import { openContext as openAppContext, type AppContext } from '../app/open-context.js';
import type { Services } from '../core/services.js';
import type { EventSink } from '../ports/event-sink.js';
import { styleOf, type CliIo } from './cli-io.js';
import type { ParsedArgs } from './parse-args.js';

/** The CLI's name for the app's context (config and ledger). */
export type CliContext = AppContext;

/** Config and ledger only: what read-only commands need, kept cheap for start-up time. */
export function openContext(args: ParsedArgs, io: CliIo): Promise<CliContext> {
  return openAppContext({ config: args.string('config'), env: io.env });
}

/**
 * What a command shows on stdout as an operation runs: JSON lines with --json, the human view
 * otherwise, nothing when quiet (a dry run or a command that prints its own summary).
 */
export async function stdoutSink(io: CliIo, options: { json: boolean; quiet?: boolean }): Promise<EventSink | undefined> {
  if (options.json) {
    const { JsonLinesSink } = await import('../events/event-sinks.js');
    return JsonLinesSink.create(io.stdout, { live: true });
  }
  if (options.quiet) return undefined;
  const { HumanRenderer } = await import('./human-renderer.js');
  return new HumanRenderer(io.stdout, { style: styleOf(io) });
}

/**
 * Everything an operation needs, from the one composition root (app/compose-services.ts): event
 * sinks (ledger audit, the JSON-lines log file, webhooks, and stdout as chosen above), adapters,
 * the secret-reading executor, and the process's signal watch.
 */
export async function buildServices(context: CliContext, io: CliIo, options: { json: boolean; quiet?: boolean }): Promise<Services> {
  const [{ composeServices }, view] = await Promise.all([import('../app/compose-services.js'), stdoutSink(io, options)]);
  return composeServices(context, { sinks: view ? [view] : [], stderr: io.stderr, interruption: io.interruption });
}

import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventSink, RewindEvent } from '../ports/event-sink.js';
import type { Ledger } from '../ports/ledger.js';
import { LIVE_ONLY_EVENTS } from '../ports/step-progress.js';
import { redactor } from '../util/redact.js';
import { toJson } from '../util/iso-times.js';

/** Any event, read through the fields the audit table has columns for; the rest is its `data`. */
type AuditView = { event: string; env: string; operationId?: string | null; from?: string | null; to?: string | null; at?: number; actor?: string; [field: string]: unknown };

/**
 * Writes every event into the ledger's append-only audit table: who, what, when, from, to. Progress
 * (`step_progress`) stays out: the table is never trimmed, and the step's outcome and journal already
 * say how it went (a health check's attempts, a smoke suite's steps).
 */
export class LedgerAuditSink implements EventSink {
  constructor(
    private readonly ledger: Ledger,
    private readonly actor: string,
  ) {}

  async emit(event: RewindEvent): Promise<void> {
    if (LIVE_ONLY_EVENTS.has(event.event)) return;
    const row: AuditView = event;
    const { event: name, env, operationId, from, to, at, actor, ...data } = row;
    await this.ledger.appendEvent({
      at: typeof at === 'number' ? at : Date.now(),
      env,
      operationId: operationId ?? null,
      event: name,
      actor: typeof actor === 'string' ? actor : this.actor,
      fromVersion: from ?? null,
      toVersion: to ?? null,
      data,
    });
  }
}

/**
 * One JSON line per event, written synchronously, so a SIGKILL never loses a written line: to a file
 * (opened once for appending; each line is one write(2) of the whole line) or to a stream such as
 * stdout. The line is `{"level":"info","time":"<ISO 8601>", …the event}`, the shape the log had when
 * pino wrote it; pino itself cost every command ~20 ms to load for what is one JSON.stringify here.
 * The log file is a record like the audit table and leaves progress out; `--json` on stdout is a
 * live view and includes it (`{ live: true }`).
 */
export class JsonLinesSink implements EventSink {
  private constructor(
    private readonly write: (line: string) => void,
    private readonly live: boolean,
  ) {}

  /** `destination` is a file path (appended to) or an already open stream such as stdout. */
  static async create(destination: string | NodeJS.WritableStream, options: { live?: boolean } = {}): Promise<JsonLinesSink> {
    let write: (line: string) => void;
    if (typeof destination === 'string') {
      mkdirSync(dirname(destination), { recursive: true });
      const fd = openSync(destination, 'a');
      write = (line) => {
        // write(2) on a file writes it all unless a signal or a full disk cuts it short: finish the line.
        const bytes = Buffer.from(line);
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
      };
    } else write = (line) => void destination.write(line);
    return new JsonLinesSink(write, options.live ?? false);
  }

  async emit(event: RewindEvent): Promise<void> {
    if (!this.live && LIVE_ONLY_EVENTS.has(event.event)) return;
    // `time` is when the line is written (ISO 8601); a time field the event carries gets the same format.
    const fields = toJson({ ...event, at: undefined });
    this.write(`{"level":"info","time":"${new Date().toISOString()}"${fields === '{}' ? '' : `,${fields.slice(1, -1)}`}}\n`);
  }
}

/**
 * Stamps time and actor, redacts secrets, then fans out to every sink in order. A sink that fails
 * (the ledger is down) does not keep the event from the sinks after it — the event log and the
 * operator's screen are how such an outage is seen — and the first failure is then thrown.
 */
export class EventFanout implements EventSink {
  readonly sinks: EventSink[];

  constructor(
    private readonly actor: string,
    sinks: EventSink[] = [],
  ) {
    this.sinks = sinks;
  }

  add(sink: EventSink): void {
    this.sinks.push(sink);
  }

  async emit(event: RewindEvent): Promise<void> {
    const stamped = redactor.redactValue({ ...event, actor: event.actor ?? this.actor, at: Date.now() });
    let failure: { error: unknown } | undefined;
    for (const sink of this.sinks) {
      try {
        await sink.emit(stamped);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

/** Keeps events in memory (the demo prints its timeline from these). */
export class MemorySink implements EventSink {
  readonly events: RewindEvent[] = [];

  async emit(event: RewindEvent): Promise<void> {
    this.events.push(event);
  }
}

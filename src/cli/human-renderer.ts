import type { EventSink, RewindEvent } from '../ports/event-sink.js';
import { formatElapsed } from '../util/format-elapsed.js';
import { PLAIN, type TerminalStyle } from './terminal-style.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface HumanRendererOptions {
  /** Colour or not (terminal-style.ts decides); plain by default. */
  style?: TerminalStyle;
  /** The clock elapsed times are measured with (tests pass a fake one). */
  now?: () => number;
  /** How often the running step's line is refreshed; 1 s by default. */
  tickMs?: number;
}

/** The step that is running now, as the view shows it. */
interface RunningStep {
  title: string;
  started: number;
  /** The newest `step_progress` message: "attempt 3/7: status 500, expected 200". */
  note?: string;
}

/**
 * A pipe gets a "still running" line when the view has been silent this long: 5 s at first (a quiet
 * screen for longer reads as a hang), then a sixth of the step's age, at most 30 s, so a ten-minute
 * watch window adds about 25 lines to a CI log, not 600.
 */
export function pipeHeartbeatMs(elapsedMs: number): number {
  return Math.min(30_000, Math.max(5_000, Math.round(elapsedMs / 6)));
}

/**
 * The human view: a live step list with timings. On a TTY the running step's line shows its elapsed
 * time (refreshed every second) and its newest progress ("attempt 3/7: status 500, expected 200"),
 * and is rewritten in place with the outcome when it ends; lines printed meanwhile (watch readings,
 * traffic shifts) go above it. Elsewhere (a pipe, a file) one line is printed per finished step, and
 * a long step prints an occasional "still running" line with its newest progress.
 */
export class HumanRenderer implements EventSink {
  private readonly s: TerminalStyle;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly tty: boolean;
  private running: RunningStep | null = null;
  /** Whether the running step's line is on screen now (TTY): the next write replaces it. */
  private drawn = false;
  private lastLineAt: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: Stream,
    options: HumanRendererOptions = {},
  ) {
    this.s = options.style ?? PLAIN;
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? 1000;
    this.tty = Boolean(out.isTTY);
    this.lastLineAt = this.now();
  }

  async emit(event: RewindEvent): Promise<void> {
    const { s } = this;
    const line = (text: string) => this.line(text);
    const op = (operationId: string) => s.dim(`(${operationId})`);
    switch (event.event) {
      case 'deploy_start':
        line(`deploy ${event.env}: ${event.from ?? 'none'} → ${event.to}  ${op(event.operationId)}`);
        break;
      case 'rollback_start':
        line(`rollback ${event.env}: ${event.from ?? 'none'} → ${event.to}${event.automatic ? ' (automatic)' : ''}  ${op(event.operationId)}`);
        if (event.reason) line(`  reason: ${event.reason}`);
        break;
      case 'operation_resumed':
        line(`resume ${event.kind} ${event.env}: ${event.from ?? 'none'} → ${event.to}  ${op(event.operationId)}`);
        break;
      case 'step_start':
        this.startStep(event.title);
        break;
      case 'step_progress':
        this.showProgress(event.message);
        break;
      case 'step_complete': {
        this.stopStep();
        const status = event.status;
        const ms = s.dim(`${String(event.durationMs).padStart(6)} ms`);
        line(`  ${markOf(status, s)} ${ms}  ${event.title}${status === 'succeeded' ? '' : ` — ${event.message}`}`);
        break;
      }
      case 'deploy_complete':
        this.stopStep();
        line(`${verdict(event.success, `deploy ${event.to} ${event.success ? 'succeeded' : 'failed'}`, s)}${event.durationMs !== undefined ? ` in ${s.dim(`${event.durationMs} ms`)}` : ''}`);
        break;
      case 'rollback_complete':
        this.stopStep();
        line(`${verdict(event.success, `rollback to ${event.to} ${event.success ? 'succeeded' : 'failed'}`, s)} in ${s.dim(`${event.durationMs} ms`)}`);
        break;
      case 'restore_start':
        line(`restore ${event.env}: backup #${String(event.backupId)}${event.release ? ` (running ${event.release})` : ''}  ${op(event.operationId)}`);
        break;
      case 'restore_complete':
        this.stopStep();
        line(`${verdict(event.success, `restore of backup #${String(event.backupId)} ${event.success ? 'succeeded' : 'failed'}`, s)} in ${s.dim(`${event.durationMs} ms`)}`);
        break;
      case 'watch_measurement': {
        const readings = event.readings.map((r) => `${r.metric} ${r.value === null ? '—' : Number(r.value.toFixed(4))} ${r.outcome ?? ''}`.trim());
        line(`    watch ${event.seq}/${event.of}: ${readings.join(', ')}`);
        break;
      }
      case 'watch_paused':
        line(
          s.warn(
            event.trafficBackOn
              ? `  ! canary paused at ${String(event.canaryPercent)} %: ${event.reasons.join('; ')} — all traffic is back on ${event.trafficBackOn}; ${event.version} was not promoted; a human decides`
              : `  ! watch paused: ${event.reasons.join('; ')} — ${event.version} is live but not marked good; a human decides`,
          ),
        );
        break;
      case 'traffic_shifted':
        line(`    traffic: ${event.percent} % to ${event.version} on slot ${event.slot} ${s.dim(`(${event.switchMs} ms)`)}`);
        break;
      case 'canary_measurement': {
        const readings = event.readings.map((r) => `${r.side} ${r.metric} ${r.value === null ? '—' : Number(r.value.toFixed(4))}${r.outcome ? ` ${r.outcome}` : ''}`);
        line(`    canary ${event.percent} % ${event.seq}/${event.of}: ${readings.join(', ')}`);
        break;
      }
      case 'down_start':
        line(`down ${event.env}: revert ${event.migration} of ${String(event.release)}  ${op(event.operationId)}`);
        break;
      case 'down_complete':
        this.stopStep();
        line(`${verdict(event.success, `down migration ${event.success ? 'reverted' : 'failed'}`, s)} in ${s.dim(`${event.durationMs} ms`)}`);
        break;
      case 'rollback_database_decision':
        line(`  database: ${describeDatabase(event)}`);
        break;
      case 'rollback_refused':
        line(`${s.bad('✗')} rollback ${event.env}: ${event.from ?? 'none'} → ${event.to ?? '?'} ${s.bad('refused')}${event.trigger === 'automatic' ? ' (automatic)' : ''}: ${event.reasons.join('; ')}`);
        break;
      case 'rollback_database_skipped':
        line(s.warn(`  note: --db skip: the database is left as it is (recorded in the audit log)`));
        break;
      case 'repair_start':
        line(`repair ${event.env}: ${event.from ?? 'none'} → ${event.to}  ${op(event.operationId)}`);
        for (const problem of event.found) line(`  found: ${problem}`);
        break;
      case 'repair_complete':
        this.stopStep();
        line(`${verdict(event.success, `repair to ${event.to} ${event.success ? 'succeeded' : 'failed'}`, s)} in ${s.dim(`${event.durationMs} ms`)}`);
        break;
      case 'app_restarted':
        line(`  ${event.success ? 'note' : s.bad('!')}: ${event.why}: ${event.to} ${event.success ? 'was started again and serves' : `could not be started again (${event.message})`}`);
        break;
      case 'operation_interrupted':
        this.stopStep();
        line(s.warn(`■ ${event.kind} stopped on ${event.signal} ${event.after ? `after ${event.after}` : 'before its first step'}, before ${event.next} (unfinished: \`rewind resume ${event.env}\` continues it)`));
        break;
      case 'incident_opened':
      case 'incident_joined':
        line(`  note: incident #${event.incidentId} ${event.event === 'incident_opened' ? 'opened' : 'joined'} (severity ${event.severity}): \`rewind incident show ${event.incidentId}\`, \`rewind checklist show ${event.operationId}\``);
        break;
      case 'incident_record_failed':
        line(s.warn(`  note: the incident of this rollback could not be recorded (${event.error})`));
        break;
      case 'ci_checked': {
        const where = `${event.provider} ${event.repository}${event.commit ? `@${event.commit.slice(0, 12)}` : ''}`;
        if (event.allowedUntested) line(s.warn(`  note: CI of ${event.to} on ${where}: ${event.verdict} — ${event.summary}; let through by --allow-untested (audited)`));
        else line(`  CI of ${event.to} on ${where}: ${event.verdict} — ${event.summary}`);
        break;
      }
      case 'lock_taken_over':
        line(s.warn(`  note: took over the lock of ${event.previousHolder} (${event.why})`));
        break;
      default:
        break;
    }
  }

  /**
   * A step's line for work outside an operation (live-step.ts: `db backup`, `smoke`): the same live
   * line as a `step_start` event draws, without an operation to name.
   */
  showStep(title: string): void {
    this.startStep(title);
  }

  /** The running step's newest progress ("attempt 3/7: status 500, expected 200"), as `step_progress` shows it. */
  showProgress(message: string): void {
    if (!this.running) return;
    this.running.note = message;
    if (this.tty) this.draw();
  }

  /** Ends the running step's line without an outcome line (the caller prints its own result): erased on a TTY. */
  dismiss(): void {
    this.stopStep();
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** A finished line. On a TTY it goes above the running step's line, which is drawn again below it. */
  private line(text: string): void {
    if (this.tty && this.drawn) {
      this.out.write(`\r\x1b[2K${text}\n`);
      this.drawn = false;
      if (this.running) this.draw();
    } else this.out.write(`${text}\n`);
    this.lastLineAt = this.now();
  }

  private startStep(title: string): void {
    this.stopStep();
    this.running = { title, started: this.now() };
    this.lastLineAt = this.now();
    if (this.tty) this.draw();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    // A view must never keep rewind alive: the operation ends the process, not its clock.
    this.timer.unref();
  }

  private stopStep(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.running = null;
  }

  private tick(): void {
    const running = this.running;
    if (!running) return;
    if (this.tty) return this.draw();
    const elapsed = this.now() - running.started;
    if (this.now() - this.lastLineAt < pipeHeartbeatMs(elapsed)) return;
    this.line(`    … still running: ${running.title} (${formatElapsed(elapsed)})${running.note ? ` — ${running.note}` : ''}`);
  }

  /** The running step's line, with its elapsed time and newest progress, cut to the terminal's width (a wrapped line could not be rewritten in place). */
  private draw(): void {
    const running = this.running!;
    const elapsed = this.now() - running.started;
    const clock = elapsed >= 1000 ? formatElapsed(elapsed) : '';
    const width = (this.out.columns ?? Infinity) - 1;
    const head = fit(`  … ${running.title}`, width);
    const room = width - head.length;
    const clockText = clock && room >= clock.length + 2 ? `  ${clock}` : '';
    const noteText = running.note ? fit(`  ${running.note}`, room - clockText.length) : '';
    this.out.write(`${this.drawn ? '\r\x1b[2K' : ''}${head}${clockText ? `  ${this.s.dim(clock)}` : ''}${noteText.length > 2 ? noteText : ''}`);
    this.drawn = true;
  }
}

/** `text` cut to `width` characters, the cut marked with …. */
function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? '' : `${text.slice(0, width - 1)}…`;
}

const MARK: Record<string, (s: TerminalStyle) => string> = {
  succeeded: (s) => s.ok('✓'),
  failed: (s) => s.bad('✗'),
  error: (s) => s.bad('!'),
  inconclusive: (s) => s.warn('?'),
  skipped: (s) => s.dim('-'),
  abandoned: (s) => s.warn('-'),
};

const markOf = (status: string, s: TerminalStyle): string => (Object.hasOwn(MARK, status) ? MARK[status]!(s) : s.warn('?'));

/** `✓ deploy 1.1.0 succeeded` in green, `✗ … failed` in red. */
const verdict = (success: boolean, text: string, s: TerminalStyle): string => (success ? s.ok(`✓ ${text}`) : s.bad(`✗ ${text}`));

/** `restore (backup #3): why; why` — a rollback's database decision in one line (events and history). */
export function describeDatabase(database: { [key: string]: unknown }): string {
  const reasons = Array.isArray(database.reasons) ? (database.reasons as string[]).join('; ') : '';
  return `${String(database.mode)}${database.backupId !== undefined ? ` (backup #${String(database.backupId)})` : ''}${reasons ? `: ${reasons}` : ''}`;
}

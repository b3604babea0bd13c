import type { EventSink, RewindEvent } from '../ports/event-sink.js';

const MARK: Record<string, string> = { succeeded: '✓', failed: '✗', error: '!', inconclusive: '?', skipped: '-', abandoned: '-' };

/**
 * The human view: a live step list with timings. On a TTY the running step shows until it finishes
 * and is then rewritten in place; elsewhere one line is printed per finished step.
 */
export class HumanRenderer implements EventSink {
  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {}

  async emit(event: RewindEvent): Promise<void> {
    const tty = Boolean(this.out.isTTY);
    const line = (text: string) => this.out.write(`${text}\n`);
    switch (event.event) {
      case 'deploy_start':
        line(`deploy ${event.env}: ${event.from ?? 'none'} → ${event.to}  (${event.operationId})`);
        break;
      case 'rollback_start':
        line(`rollback ${event.env}: ${event.from ?? 'none'} → ${event.to}${event.automatic ? ' (automatic)' : ''}  (${event.operationId})`);
        if (event.reason) line(`  reason: ${String(event.reason)}`);
        break;
      case 'operation_resumed':
        line(`resume ${String(event.kind)} ${event.env}: ${event.from ?? 'none'} → ${event.to}  (${event.operationId})`);
        break;
      case 'step_start':
        if (tty) this.out.write(`  … ${String(event.title)}`);
        break;
      case 'step_complete': {
        const status = String(event.status);
        const ms = `${String(event.durationMs).padStart(6)} ms`;
        const text = `  ${MARK[status] ?? '?'} ${ms}  ${String(event.title)}${status === 'succeeded' ? '' : ` — ${String(event.message)}`}`;
        if (tty) this.out.write(`\r\x1b[2K${text}\n`);
        else line(text);
        break;
      }
      case 'deploy_complete':
        line(`${event.success ? '✓' : '✗'} deploy ${event.to} ${event.success ? 'succeeded' : 'failed'}${event.durationMs !== undefined ? ` in ${String(event.durationMs)} ms` : ''}`);
        break;
      case 'rollback_complete':
        line(`${event.success ? '✓' : '✗'} rollback to ${event.to} ${event.success ? 'succeeded' : 'failed'} in ${String(event.durationMs)} ms`);
        break;
      case 'restore_start':
        line(`restore ${event.env}: backup #${String(event.backupId)}${event.release ? ` (running ${String(event.release)})` : ''}  (${event.operationId})`);
        break;
      case 'restore_complete':
        line(`${event.success ? '✓' : '✗'} restore of backup #${String(event.backupId)} ${event.success ? 'succeeded' : 'failed'} in ${String(event.durationMs)} ms`);
        break;
      case 'watch_measurement': {
        const readings = (event.readings as { metric: string; value: number | null; outcome?: string }[]).map((r) => `${r.metric} ${r.value === null ? '—' : Number(r.value.toFixed(4))} ${r.outcome ?? ''}`.trim());
        line(`    watch ${String(event.seq)}/${String(event.of)}: ${readings.join(', ')}`);
        break;
      }
      case 'watch_paused':
        line(
          event.trafficBackOn
            ? `  ! canary paused at ${String(event.canaryPercent)} %: ${(event.reasons as string[]).join('; ')} — all traffic is back on ${String(event.trafficBackOn)}; ${String(event.version)} was not promoted; a human decides`
            : `  ! watch paused: ${(event.reasons as string[]).join('; ')} — ${String(event.version)} is live but not marked good; a human decides`,
        );
        break;
      case 'traffic_shifted':
        line(`    traffic: ${String(event.percent)} % to ${String(event.version)} on slot ${String(event.slot)} (${String(event.switchMs)} ms)`);
        break;
      case 'canary_measurement': {
        const readings = (event.readings as { side: string; metric: string; value: number | null; outcome?: string }[]).map(
          (r) => `${r.side} ${r.metric} ${r.value === null ? '—' : Number(r.value.toFixed(4))}${r.outcome ? ` ${r.outcome}` : ''}`,
        );
        line(`    canary ${String(event.percent)} % ${String(event.seq)}/${String(event.of)}: ${readings.join(', ')}`);
        break;
      }
      case 'down_start':
        line(`down ${event.env}: revert ${String(event.migration)} of ${String(event.release)}  (${event.operationId})`);
        break;
      case 'down_complete':
        line(`${event.success ? '✓' : '✗'} down migration ${event.success ? 'reverted' : 'failed'} in ${String(event.durationMs)} ms`);
        break;
      case 'rollback_database_decision':
        line(`  database: ${describeDatabase(event)}`);
        break;
      case 'rollback_refused':
        line(`✗ rollback ${event.env}: ${event.from ?? 'none'} → ${event.to ?? '?'} refused${event.trigger === 'automatic' ? ' (automatic)' : ''}: ${(event.reasons as string[]).join('; ')}`);
        break;
      case 'rollback_database_skipped':
        line(`  note: --db skip: the database is left as it is (recorded in the audit log)`);
        break;
      case 'repair_start':
        line(`repair ${event.env}: ${event.from ?? 'none'} → ${event.to}  (${event.operationId})`);
        for (const problem of (event.found as string[] | undefined) ?? []) line(`  found: ${problem}`);
        break;
      case 'repair_complete':
        line(`${event.success ? '✓' : '✗'} repair to ${event.to} ${event.success ? 'succeeded' : 'failed'} in ${String(event.durationMs)} ms`);
        break;
      case 'app_restarted':
        line(`  ${event.success ? 'note' : '!'}: ${String(event.why)}: ${String(event.to)} ${event.success ? 'was started again and serves' : `could not be started again (${String(event.message)})`}`);
        break;
      case 'operation_interrupted':
        line(`■ ${String(event.kind)} stopped on ${String(event.signal)} ${event.after ? `after ${String(event.after)}` : 'before its first step'}, before ${String(event.next)} (unfinished: \`rewind resume ${event.env}\` continues it)`);
        break;
      case 'lock_taken_over':
        line(`  note: took over the lock of ${String(event.previousHolder)} (${String(event.why)})`);
        break;
      default:
        break;
    }
  }
}

/** `restore (backup #3): why; why` — a rollback's database decision in one line (events and history). */
export function describeDatabase(database: { [key: string]: unknown }): string {
  const reasons = Array.isArray(database.reasons) ? (database.reasons as string[]).join('; ') : '';
  return `${String(database.mode)}${database.backupId !== undefined ? ` (backup #${String(database.backupId)})` : ''}${reasons ? `: ${reasons}` : ''}`;
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { RewindError } from '../errors/rewind-error.js';
import type { Ledger, LockRecord } from '../ports/ledger.js';
import type { EventSink } from '../ports/event-sink.js';
import { processAlive } from '../util/process-alive.js';


/** A lock may be taken over once it expired, or at once when its holder was a process on this host that is gone. */
export function lockIsStale(holder: LockRecord, at: number, host: string = hostname()): boolean {
  if (holder.expiresAt < at) return true;
  return holder.host === host && holder.pid !== process.pid && !processAlive(holder.pid);
}

export function describeHolder(holder: LockRecord): string {
  return `${holder.holder} (pid ${holder.pid} on ${holder.host}${holder.operationId ? `, operation ${holder.operationId}` : ''}) since ${new Date(holder.acquiredAt).toISOString()}`;
}

/** A held per-environment lock with a heartbeat; release it in a finally. */
export class HeldLock {
  private timer: NodeJS.Timeout | undefined;
  /** The operation the lock was last attached to (set before the write, so a failed write still names it). */
  operationId: string | undefined;

  constructor(
    private readonly ledger: Ledger,
    readonly env: string,
    readonly token: string,
    private readonly ttlMs: number,
  ) {
    // Beat three times per TTL so one slow write never lets the lock expire under a live holder.
    this.timer = setInterval(() => {
      void this.ledger.heartbeatLock(this.env, this.token, this.ttlMs, Date.now()).catch(() => undefined);
    }, Math.max(250, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  async attach(operationId: string): Promise<void> {
    this.operationId = operationId;
    await this.ledger.setLockOperation(this.env, this.token, operationId);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ledger.releaseLock(this.env, this.token);
  }
}

export async function acquireEnvironmentLock(options: {
  ledger: Ledger;
  env: string;
  actor: string;
  ttlMs: number;
  sink: EventSink;
}): Promise<HeldLock> {
  const { ledger, env, actor, ttlMs } = options;
  const token = randomBytes(16).toString('hex');
  const at = Date.now();
  const result = await ledger.acquireLock(
    { env, token, holder: actor, host: hostname(), pid: process.pid, operationId: null, ttlMs, now: at },
    (holder) => lockIsStale(holder, at),
  );
  if (!result.acquired) {
    throw new RewindError('REWIND_E_LOCKED', `environment ${env} is locked by ${describeHolder(result.holder)}`, {
      env,
      holder: result.holder.holder,
      pid: result.holder.pid,
      host: result.holder.host,
      operationId: result.holder.operationId,
      expiresAt: new Date(result.holder.expiresAt).toISOString(),
    });
  }
  if (result.tookOverFrom) {
    await options.sink.emit({
      event: 'lock_taken_over',
      env,
      actor,
      previousHolder: result.tookOverFrom.holder,
      previousPid: result.tookOverFrom.pid,
      previousOperationId: result.tookOverFrom.operationId,
      why: result.tookOverFrom.expiresAt < at ? 'expired' : 'holder process is gone',
    });
  }
  return new HeldLock(ledger, env, token, ttlMs);
}

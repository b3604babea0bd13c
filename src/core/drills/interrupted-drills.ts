import { hostname } from 'node:os';
import type { DrillRecord } from '../../ports/ledger-drills.js';
import { processAlive } from '../../util/process-alive.js';
import type { Services } from '../services.js';

/**
 * A drill row still `running` whose process is gone: its runner was killed (a second Ctrl-C,
 * SIGKILL, a lost CI job) before it could record the result. Only a process on this host can be
 * asked; a drill run elsewhere stays as it is until a command on its own host looks.
 */
export function drillInterrupted(drill: DrillRecord, host: string = hostname()): boolean {
  return drill.state === 'running' && drill.owner !== null && drill.owner.host === host && drill.owner.pid !== process.pid && !processAlive(drill.owner.pid);
}

/**
 * Closes the interrupted drills of `env` as failed, each with the reason and what its operations
 * became (`rewind resume` finishes a deploy or rollback the drill had started; the drill's own
 * verdict, detection and recovery times, cannot be known). Run by a new drill and by `rewind resume`.
 */
export async function closeInterruptedDrills(services: Services, env: string): Promise<DrillRecord[]> {
  const running = (await services.ledger.listDrills({ env, limit: 200 })).filter((d) => drillInterrupted(d));
  for (const drill of running) {
    const gap = `interrupted: the drill's process (pid ${drill.owner!.pid} on ${drill.owner!.host}) ended before it recorded a result; a deploy or rollback it started is finished by \`rewind resume ${env}\`, and its times are not known`;
    await services.ledger.finishDrill(drill.id, { state: 'failed', deployOperationId: null, rollbackOperationId: null, ttdMs: null, ttrMs: null, detail: { gap, interrupted: true }, finishedAt: services.now() });
    await services.sink.emit({ event: 'drill_complete', env, drillId: drill.id, kind: drill.kind, failure: drill.failure, success: false, ttdMs: null, ttrMs: null, error: gap });
  }
  return running;
}

/** Who runs a drill: this process on this host. */
export const drillOwner = (): { host: string; pid: number } => ({ host: hostname(), pid: process.pid });

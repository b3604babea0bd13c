import type { RewindConfig } from '../../config/config-schema.js';
import type { Ledger } from '../../ports/ledger.js';

/** For `rewind status`: what is still open on the checklist of the environment's latest rollback (null: no rollback lately). */
export async function latestRollbackChecklist(ledger: Ledger, env: string, config: () => Promise<RewindConfig>): Promise<{ operationId: string; incidentId: number | null; open: string[] } | null> {
  let rollback;
  for (const op of await ledger.listOperations(env, { limit: 20 })) {
    if (op.kind !== 'rollback') continue;
    // A drill's rollback is a rehearsal (docs/drills.md): it has no checklist for people to work through.
    if (op.fromVersion !== null && (await ledger.getRelease(env, op.fromVersion))?.drill) continue;
    rollback = op;
    break;
  }
  if (!rollback) return null;
  // Loaded only when there is a rollback to judge: status stays fast on the usual path.
  const { viewChecklist } = await import('../../core/incidents/checklist.js');
  const view = await viewChecklist(ledger, await config(), rollback);
  const incident = await ledger.findIncidentByOperation(rollback.id);
  return { operationId: rollback.id, incidentId: incident?.id ?? null, open: view.open };
}

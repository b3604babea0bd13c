import { RewindError } from '../../errors/rewind-error.js';
import { lookUpEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';

/** Removes a lock whoever holds it, with a reason that lands in the audit log. */
export async function forceUnlock(services: Services, env: string, reason: string): Promise<{ removed: boolean; holder?: string }> {
  lookUpEnvironment(services.config, env);
  if (!reason.trim()) throw new RewindError('REWIND_E_USAGE', 'unlock --force needs --reason "<why>" for the audit log', { argument: '--reason' });
  const holder = await services.ledger.forceReleaseLock(env);
  await services.sink.emit({
    event: 'lock_forced',
    env,
    operationId: holder?.operationId ?? null,
    reason,
    previousHolder: holder?.holder ?? null,
    previousPid: holder?.pid ?? null,
  });
  return { removed: holder !== undefined, holder: holder?.holder };
}

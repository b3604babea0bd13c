import { RewindError } from '../../errors/rewind-error.js';

/**
 * The ledger failed in the middle of an operation (its server stopped, say): it could not record how
 * the operation ended, so it still says "running", with the lock of this process, which is about to
 * exit. The error says exactly that and what brings ledger and target back together; `resume` takes
 * over the lock of a process that is gone and runs the journal on from the step in flight.
 * Any other error is returned as it is.
 */
export function ledgerLostDuring(error: unknown, env: string, operationId: string | undefined): unknown {
  if (!(error instanceof RewindError) || error.code !== 'REWIND_E_LEDGER' || operationId === undefined) return error;
  const { ledger, unreachable, step, method, reason } = error.details as { ledger?: string; unreachable?: boolean; step?: string; method?: string; reason?: string };
  const where = ledger ? `the ledger at ${ledger}` : 'the ledger';
  const how = unreachable ? 'became unreachable' : 'failed';
  const cause = method ? ` (${method}: ${reason ?? error.message})` : `: ${error.message}`;
  return new RewindError(
    'REWIND_E_LEDGER',
    `${where} ${how} during operation ${operationId}${step ? ` at step ${step}` : ''}${cause}; it still records the operation as running and the lock as held by this process: when the ledger is back, run \`rewind resume ${env}\` (\`rewind status ${env}\` shows where it stopped)`,
    { ...error.details, env, operationId },
  );
}

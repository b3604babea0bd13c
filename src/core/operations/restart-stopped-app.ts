import type { OperationRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';

/**
 * A restore stops the app before it touches the database. When it then fails without changing the
 * database (its safety backup failed, or a restore that is one transaction rolled back), what the
 * app ran against is still there: start it again rather than leave the service down. A restore that
 * may have changed the database leaves the app stopped, and says so. Returns what was done, for the
 * operation's error message.
 */
export async function restartAppStoppedForNothing(services: Services, environment: ResolvedEnvironment, target: Target, operation: OperationRecord, failedStep: string): Promise<string> {
  const steps = await services.ledger.listSteps(operation.id);
  const stopped = steps.some((s) => s.stepId === 'stop-app' && s.state === 'succeeded');
  if (!stopped || steps.some((s) => s.stepId === 'db-restore' && s.state === 'succeeded')) return '';
  const failure = steps.filter((s) => s.stepId === failedStep).at(-1);
  const untouched = failedStep === 'db-safety-backup' || (failedStep === 'db-restore' && (failure?.detail as { untouched?: boolean } | undefined)?.untouched === true);
  const version = await target.activeVersion();
  if (!untouched || !version) return `; the app stopped for the restore stays stopped (the database may have changed): \`rewind status ${operation.env}\` shows it`;
  let outcome = await target.activate(version);
  // Started is not serving: the same health check as after any activation says when it is back.
  const health = environment.config.health;
  if (outcome.status === 'succeeded' && health) outcome = await services.checkHealth(health, version);
  await services.sink.emit({ event: 'app_restarted', env: operation.env, operationId: operation.id, to: version, success: outcome.status === 'succeeded', why: `${failedStep} failed before the database changed`, message: outcome.message });
  return outcome.status === 'succeeded' ? `; the database is as it was, and ${version}, stopped for the restore, serves again` : `; starting ${version} again failed too: ${outcome.message}`;
}

import { RewindError } from '../../errors/rewind-error.js';
import type { BackupRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { findBackup, requireDatabase } from '../database/database-backup.js';
import type { Plan } from '../plan.js';
import { planRestore } from '../plan/restore-plan.js';
import { lookUpEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { executeDatabaseOperation } from './database-operation.js';
import { runPlannedOperation, type OperationOutcome } from './operation-lifecycle.js';
import { currentRelease, describeBackup } from './plan-inputs.js';

export interface RestoreOptions {
  /** The backup to restore (default: the newest pre-upgrade backup of the environment). */
  backupId?: number;
  dryRun?: boolean;
  reason?: string;
}

async function chooseBackup(services: Services, env: string, backupId: number | undefined): Promise<BackupRecord> {
  if (backupId !== undefined) {
    const backup = await findBackup(services, String(backupId), { env });
    if (backup.deletedAt !== null) throw new RewindError('REWIND_E_BACKUP_NOT_FOUND', `backup #${backup.id} was pruned at ${new Date(backup.deletedAt).toISOString()}`, { env, backup: backup.id });
    return backup;
  }
  const newest = (await services.ledger.listBackups(env)).find((b) => b.kind === 'pre-upgrade');
  if (!newest) throw new RewindError('REWIND_E_BACKUP_NOT_FOUND', `${env} has no pre-upgrade backup to restore; pass --backup <id> (see \`rewind db list ${env}\`)`, { env });
  return newest;
}

/**
 * Restores a database backup (seed 000, "Migration Failure / Incompatible Schema"): the backup is
 * checked before anything is touched, the app is stopped, the current state is saved in a safety
 * backup (seed 002), the backup is restored and verified, and the running release starts again.
 */
export async function restoreDatabase(services: Services, env: string, options: RestoreOptions = {}): Promise<OperationOutcome> {
  const environment = lookUpEnvironment(services.config, env);
  const { config } = environment;
  requireDatabase(env, config);
  await services.ledger.ensureEnvironment(env, services.now());
  const build = async (target: Target): Promise<Plan> => {
    const backup = await chooseBackup(services, env, options.backupId);
    const current = await currentRelease(services, env);
    return planRestore({
      env,
      config,
      target,
      current,
      backup,
      safetyBackup: describeBackup(services, environment, 'safety', current?.version ?? null),
      reason: options.reason ?? `requested by ${services.actor}`,
    });
  };
  return runPlannedOperation(services, environment, options.dryRun, build, (plan, operation) => ({ event: 'restore_start', env, operationId: operation.id, backupId: plan.database?.backupId, release: plan.from }), executeDatabaseOperation);
}

import type { EnvironmentConfig } from '../../config/config-schema.js';
import { RewindError } from '../../errors/rewind-error.js';
import type { ReleaseRecord } from '../../ports/ledger.js';
import type { Target } from '../../ports/target.js';
import { describeDatabaseBackup } from '../database/database-backup.js';
import { databaseFactsSince } from '../database/database-facts.js';
import { decideDatabaseRollback, type DatabaseDecision, type DatabaseOverride } from '../database/database-rollback-decision.js';
import type { BackupDescription } from '../plan/steps/database.js';
import type { ResolvedEnvironment } from '../resolved-environment.js';
import type { Services } from '../services.js';
import { decideStateRestore, findStateSnapshot, type StateDecision } from '../state/state-snapshots.js';

/** What the use cases read from the ledger, the database engine and the target before they plan. */

export async function requireRelease(services: Services, env: string, version: string): Promise<ReleaseRecord> {
  const release = await services.ledger.getRelease(env, version);
  if (!release) throw new RewindError('REWIND_E_RELEASE_NOT_FOUND', `release ${version} is not registered for ${env}`, { env, version });
  return release;
}

export async function currentRelease(services: Services, env: string): Promise<ReleaseRecord | null> {
  const environment = await services.ledger.getEnvironment(env);
  return environment?.currentVersion ? ((await services.ledger.getRelease(env, environment.currentVersion)) ?? null) : null;
}

export function describeBackup(services: Services, environment: ResolvedEnvironment, kind: 'pre-upgrade' | 'safety', releaseVersion: string | null): BackupDescription {
  const { destination, commands } = describeDatabaseBackup(services, environment, { kind, releaseVersion });
  return { destination, pipelines: commands };
}

/** What a rollback from `from` to `to` does to the database (undefined: the environment has none). */
export async function databaseDecision(services: Services, environment: ResolvedEnvironment, from: ReleaseRecord | null, to: ReleaseRecord, override?: DatabaseOverride): Promise<DatabaseDecision | undefined> {
  if (!environment.config.database) return undefined;
  return decideDatabaseRollback({ hasDatabase: true, since: await databaseFactsSince(services.ledger, environment.env, from, to), override });
}

/** What each slot holds, for planning blue-green and canary operations (undefined without `traffic:`). */
export async function slotsOf(target: Target, config: EnvironmentConfig) {
  return config.traffic ? target.slots?.() : undefined;
}

/** What a rollback to `to` does to the state store (undefined: the environment has none). */
export async function stateDecision(services: Services, environment: ResolvedEnvironment, to: ReleaseRecord, database: DatabaseDecision | undefined): Promise<StateDecision | undefined> {
  const state = environment.config.state;
  if (!state) return undefined;
  const snapshot = state.restoreOnRollback === 'never' ? null : await findStateSnapshot(services.ledger, environment.env, to.version);
  return decideStateRestore(state.restoreOnRollback, database?.mode === 'restore', to.version, snapshot);
}

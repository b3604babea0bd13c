import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { flagProviderFor } from '../../adapters/flags/flag-provider-for.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { EnvironmentConfig } from '../../config/config-schema.js';
import { succeeded, type Outcome } from '../../ports/outcome.js';
import type { FlagProvider } from '../../ports/flag-provider.js';
import type { Services } from '../services.js';

// The flags a release turned on live in a side file next to the stored artifacts
// (<artifacts.store>/flags/<env>/<version>.json), not in the ledger: the release record has no field
// for them and a ledger migration was out of this change's scope. The file also keeps what a
// rollback turned off (`off`: each flag's value before), so a roll-forward can put it back.

export interface ReleaseFlags {
  flags: string[];
  off?: Record<string, boolean | null>;
}

const fileOf = (services: Services, env: string, version: string) => join(services.config.artifacts.store!, 'flags', env, `${version}.json`);

export async function readReleaseFlags(services: Services, env: string, version: string): Promise<ReleaseFlags | undefined> {
  try {
    return JSON.parse(await readFile(fileOf(services, env, version), 'utf8')) as ReleaseFlags;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeFlags(services: Services, env: string, version: string, flags: ReleaseFlags): Promise<void> {
  const path = fileOf(services, env, version);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(flags, null, 2)}\n`);
}

/** `release register --flag`: the flags this release turns on (replacing any declared before). */
export async function declareReleaseFlags(services: Services, env: string, version: string, flags: string[]): Promise<void> {
  const before = await readReleaseFlags(services, env, version);
  await writeFlags(services, env, version, { ...before, flags: [...new Set(flags)].sort() });
}

export function flagProviderOf(config: EnvironmentConfig): FlagProvider | undefined {
  return flagProviderFor(config.flags);
}

/**
 * The rollback's `flags-off` step: the rolled-back release's flags are turned off at the flag source.
 * Like the incident, it never changes the rollback's outcome: a failure is a warning, `flags_failed`
 * in the audit log, and a step that succeeds saying the flags were NOT turned off.
 */
export async function turnOffRolledBackFlags(services: Services, config: EnvironmentConfig, env: string, version: string, flags: string[], operationId: string): Promise<Outcome> {
  const provider = flagProviderOf(config);
  if (!provider || !flags.length) return succeeded('no flags to turn off');
  try {
    const declared = await readReleaseFlags(services, env, version);
    const previous = await provider.set(Object.fromEntries(flags.map((f) => [f, false])));
    // A second rollback of the same release must not overwrite the values from before the first.
    await writeFlags(services, env, version, { flags: declared?.flags ?? flags, off: declared?.off ?? previous });
    await services.sink.emit({ event: 'flags_off', env, operationId, version, flags, previous });
    return succeeded(`turned off ${flags.join(', ')} in the ${provider.describe()}`, { flags, previous });
  } catch (error) {
    return flagsFailed(services, env, version, operationId, 'off', error);
  }
}

/** The deploy's `flags-restore` step (a roll-forward): the flags a rollback turned off go back to what they were. */
export async function restoreReleaseFlags(services: Services, config: EnvironmentConfig, env: string, version: string, operationId: string): Promise<Outcome> {
  const provider = flagProviderOf(config);
  if (!provider) return succeeded('no flag source configured');
  try {
    const declared = await readReleaseFlags(services, env, version);
    // Already restored (a resumed deploy): nothing left to put back.
    if (!declared?.off) return succeeded(`the flags of ${version} are as they were`);
    await provider.restore(declared.off);
    await writeFlags(services, env, version, { flags: declared.flags });
    await services.sink.emit({ event: 'flags_restored', env, operationId, version, flags: declared.flags, restored: declared.off });
    return succeeded(`restored ${Object.keys(declared.off).join(', ')} in the ${provider.describe()}`, { restored: declared.off });
  } catch (error) {
    return flagsFailed(services, env, version, operationId, 'restore', error);
  }
}

async function flagsFailed(services: Services, env: string, version: string, operationId: string, action: 'off' | 'restore', error: unknown): Promise<Outcome> {
  const message = (error as Error).message;
  const what = action === 'off' ? 'turned off' : 'restored';
  services.warn?.(`warning: the feature flags of ${version} could not be ${what} (${message}); the operation's outcome stands`);
  await services.sink.emit({ event: 'flags_failed', env, operationId, version, action, error: message }).catch(() => undefined);
  return succeeded(`the flags of ${version} were NOT ${what} (${message}): a warning, the operation's outcome stands`, { flagsFailed: true, error: message });
}

/** For the rollback plan: the flags `version` declared, and where they live; undefined: no step. */
export async function flagsToTurnOff(services: Services, config: EnvironmentConfig, env: string, version: string | null | undefined): Promise<{ flags: string[]; source: string } | undefined> {
  const provider = flagProviderOf(config);
  if (!provider || !version) return undefined;
  const declared = await readReleaseFlags(services, env, version);
  return declared?.flags.length ? { flags: declared.flags, source: provider.describe() } : undefined;
}

/** For the deploy plan: what a rollback turned off for `version`, to put back; undefined: no step. */
export async function flagsToRestore(services: Services, config: EnvironmentConfig, env: string, version: string): Promise<{ off: Record<string, boolean | null>; source: string } | undefined> {
  const provider = flagProviderOf(config);
  if (!provider) return undefined;
  const declared = await readReleaseFlags(services, env, version);
  return declared?.off ? { off: declared.off, source: provider.describe() } : undefined;
}

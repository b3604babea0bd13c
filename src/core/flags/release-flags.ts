import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileFlagProvider } from '../../adapters/flags/file/file-flag-provider.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { Services } from '../services.js';

// The flags a release turned on live in a side file next to the stored artifacts
// (<artifacts.store>/flags/<env>/<version>.json), not in the ledger: the release record has no field
// for them and a ledger migration was out of this change's scope. The file also keeps what a
// rollback turned off (`off`: each flag's value before), so a roll-forward can put it back.

interface ReleaseFlags {
  flags: string[];
  off?: Record<string, boolean | null>;
}

const fileOf = (services: Services, env: string, version: string) => join(services.config.artifacts.store!, 'flags', env, `${version}.json`);

async function readFlags(services: Services, env: string, version: string): Promise<ReleaseFlags | undefined> {
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
  const before = await readFlags(services, env, version);
  await writeFlags(services, env, version, { ...before, flags: [...new Set(flags)].sort() });
}

function providerFor(services: Services, env: string): FileFlagProvider | undefined {
  const file = services.config.environments[env]?.flags?.file;
  return file ? new FileFlagProvider(file) : undefined;
}

/**
 * After a rollback that succeeded: the rolled-back release's flags are turned off in the flag file.
 * Like the incident, it never changes the rollback's outcome: a failure is a warning and an audit event.
 */
export async function turnOffRolledBackFlags(services: Services, env: string, version: string | null, operationId: string): Promise<void> {
  const provider = providerFor(services, env);
  if (!provider || version === null) return;
  try {
    const declared = await readFlags(services, env, version);
    if (!declared?.flags.length) return;
    const previous = await provider.set(Object.fromEntries(declared.flags.map((f) => [f, false])));
    // A second rollback of the same release must not overwrite the values from before the first.
    await writeFlags(services, env, version, { ...declared, off: declared.off ?? previous });
    await services.sink.emit({ event: 'flags_off', env, operationId, version, flags: declared.flags, previous });
  } catch (error) {
    await flagsFailed(services, env, version, operationId, 'off', error);
  }
}

/** A deploy of a release whose flags a rollback turned off (a roll-forward) turns them back to what they were. */
export async function restoreReleaseFlags(services: Services, env: string, version: string, operationId: string): Promise<void> {
  const provider = providerFor(services, env);
  if (!provider) return;
  try {
    const declared = await readFlags(services, env, version);
    if (!declared?.off) return;
    await provider.restore(declared.off);
    await writeFlags(services, env, version, { flags: declared.flags });
    await services.sink.emit({ event: 'flags_restored', env, operationId, version, flags: declared.flags, restored: declared.off });
  } catch (error) {
    await flagsFailed(services, env, version, operationId, 'restore', error);
  }
}

async function flagsFailed(services: Services, env: string, version: string, operationId: string, action: 'off' | 'restore', error: unknown): Promise<void> {
  const message = (error as Error).message;
  services.warn?.(`warning: the feature flags of ${version} could not be ${action === 'off' ? 'turned off' : 'restored'} (${message}); the operation's outcome stands`);
  await services.sink.emit({ event: 'flags_failed', env, operationId, version, action, error: message }).catch(() => undefined);
}

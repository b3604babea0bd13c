import { resolve } from 'node:path';
import { inspectArtifact } from '../artifacts/artifact-digest.js';
import { environmentConfig } from '../config/load-config.js';
import { RewindError } from '../errors/rewind-error.js';
import type { CiResult, ReleaseRecord } from '../ports/ledger.js';
import { parseVersion } from '../util/semver.js';
import type { Services } from './services.js';

export interface RegisterOptions {
  artifact: string;
  commit?: string;
  ci?: string;
}

const CI_RESULTS: readonly CiResult[] = ['passed', 'failed', 'unknown'];

/**
 * Records an immutable release: version, artifact, its sha256, commit and CI result. Registering the
 * same version with the same digest again is a no-op; with another digest it is an error.
 */
export async function registerRelease(services: Services, env: string, versionInput: string, options: RegisterOptions): Promise<{ release: ReleaseRecord; created: boolean }> {
  const version = parseVersion(versionInput);
  environmentConfig(services.config, env);
  const ci = (options.ci ?? 'unknown') as CiResult;
  if (!CI_RESULTS.includes(ci)) throw new RewindError('REWIND_E_USAGE', `--ci must be one of ${CI_RESULTS.join(', ')}, not ${JSON.stringify(options.ci)}`, { argument: '--ci' });
  if (options.commit !== undefined && !/^[0-9a-f]{7,64}$/i.test(options.commit)) {
    throw new RewindError('REWIND_E_USAGE', `--commit must be a git SHA (7–64 hex digits), not ${JSON.stringify(options.commit)}`, { argument: '--commit' });
  }
  const artifact = resolve(options.artifact);
  // Checks every entry against the artifact rules before anything is written: an artifact that
  // breaks them is refused with REWIND_E_ARTIFACT_UNSAFE and never reaches the ledger.
  const { digest } = await inspectArtifact(artifact);
  await services.ledger.ensureEnvironment(env, services.now());
  const result = await services.ledger.registerRelease({ env, version, artifact, digest, commit: options.commit ?? null, ci }, services.now());
  if (!result.created && result.release.digest !== digest) {
    throw new RewindError('REWIND_E_RELEASE_DIGEST_CONFLICT', `${env} ${version} is registered with ${result.release.digest}; ${artifact} has ${digest}`, {
      env,
      version,
      registered: result.release.digest,
      offered: digest,
    });
  }
  if (result.created) {
    await services.sink.emit({ event: 'release_registered', env, to: version, digest, artifact, commit: options.commit ?? null, ci });
  }
  return result;
}

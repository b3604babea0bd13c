import { resolve } from 'node:path';
import { inspectArtifact } from '../artifacts/artifact-digest.js';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import { artifactStoreDir } from '../config/load-config.js';
import { RewindError } from '../errors/rewind-error.js';
import type { CiResult, ReleaseRecord } from '../ports/ledger.js';
import { parseIsoInstant } from '../util/iso-instant.js';
import { parseVersion } from '../util/semver.js';
import type { CiEvidence } from '../ports/ci-checks.js';
import { ciCheckedEvent, readCiEvidence } from './ci/ci-gate.js';
import { lookUpEnvironment } from './resolved-environment.js';
import type { Services } from './services.js';

export interface RegisterOptions {
  artifact: string;
  commit?: string;
  /** When the commit was made, ISO 8601 (`git log -1 --format=%cI`): lead time for changes runs from it. */
  committedAt?: string;
  ci?: string;
  /** A drill release (`rewind drill`): recorded as such, never an LKG. */
  drill?: boolean;
}

export interface RegisterResult {
  release: ReleaseRecord;
  /** False when the version was already registered with this digest: nothing was recorded. */
  created: boolean;
  /** rewind's copy of the artifact in its store, which deploys and rollbacks unpack. */
  stored: string;
  /** Whether this call copied the artifact into the store (false: an entry with its digest was there). */
  copied: boolean;
  /** With a `ci:` gate: what the CI system said of the commit, from which `release.ci` was recorded. */
  ciEvidence?: CiEvidence;
}

const CI_RESULTS: readonly CiResult[] = ['passed', 'failed', 'unknown'];

/**
 * Records an immutable release: version, artifact, its sha256, commit and CI result, and keeps a
 * copy of the artifact in rewind's store (artifact-store.ts), so the release stays deployable
 * whatever becomes of the build folder. Registering the same version with the same digest again
 * records nothing (from any path; it stores the copy if the store had lost it); with another
 * digest it is an error, and nothing is stored.
 */
export async function registerRelease(services: Services, env: string, versionInput: string, options: RegisterOptions): Promise<RegisterResult> {
  const version = parseVersion(versionInput);
  const environment = lookUpEnvironment(services.config, env);
  const gated = environment.config.ci !== undefined;
  if (gated && options.ci !== undefined) {
    throw new RewindError('REWIND_E_USAGE', `--ci is not taken for ${env}: its ci: gate reads the result from ${environment.config.ci!.type} for --commit (docs/ci.md)`, { argument: '--ci', env });
  }
  if (gated && options.commit === undefined) {
    throw new RewindError('REWIND_E_USAGE', `--commit is required for ${env}: its ci: gate reads the checks of the release's commit (docs/ci.md)`, { argument: '--commit', env });
  }
  let ci = (options.ci ?? 'unknown') as CiResult;
  if (!CI_RESULTS.includes(ci)) throw new RewindError('REWIND_E_USAGE', `--ci must be one of ${CI_RESULTS.join(', ')}, not ${JSON.stringify(options.ci)}`, { argument: '--ci' });
  if (options.commit !== undefined && !/^[0-9a-f]{7,64}$/i.test(options.commit)) {
    throw new RewindError('REWIND_E_USAGE', `--commit must be a git SHA (7–64 hex digits), not ${JSON.stringify(options.commit)}`, { argument: '--commit' });
  }
  const committedAt = options.committedAt === undefined ? null : parseIsoInstant(options.committedAt);
  if (options.committedAt !== undefined && committedAt === null) {
    throw new RewindError('REWIND_E_USAGE', `--commit-time must be an ISO 8601 time (2026-09-01T12:00:00Z, or git log -1 --format=%cI), not ${JSON.stringify(options.committedAt)}`, { argument: '--commit-time' });
  }
  const artifact = resolve(options.artifact);
  // Checks every entry against the artifact rules before anything is written: an artifact that
  // breaks them is refused with REWIND_E_ARTIFACT_UNSAFE and never reaches the ledger or the store.
  const inspection = await inspectArtifact(artifact);
  const { digest } = inspection;
  const conflict = (registered: ReleaseRecord) =>
    new RewindError('REWIND_E_RELEASE_DIGEST_CONFLICT', `${env} ${version} is registered with ${registered.digest}; ${artifact} has ${digest}`, {
      env,
      version,
      registered: registered.digest,
      offered: digest,
    });
  const existing = await services.ledger.getRelease(env, version);
  if (existing && existing.digest !== digest) throw conflict(existing);
  // Read before anything is stored: a token or repository problem is a coded error that records nothing.
  const ciEvidence = await readCiEvidence(services, environment, version, options.commit ?? null);
  if (ciEvidence) ci = ciEvidence.verdict;

  // Stored before it is recorded: a release in the ledger always had its copy made.
  const store = new ArtifactStore(artifactStoreDir(services.config));
  let { path: stored, copied } = await store.put(artifact, inspection);
  await services.ledger.ensureEnvironment(env, services.now());
  const result = await services.ledger.registerRelease({ env, version, artifact, digest, commit: options.commit ?? null, committedAt, ci, ...(options.drill ? { drill: true } : {}) }, services.now());
  if (!result.created && result.release.digest !== digest) throw conflict(result.release);
  // A prune elsewhere may have dropped the entry between the copy and the ledger write (it saw no
  // release needing it yet): now that the release is recorded, any prune keeps it; store it again.
  if (!(await store.locate(digest))) ({ path: stored, copied } = await store.put(artifact, inspection));
  if (result.created) {
    await services.sink.emit({ event: 'release_registered', env, to: version, digest, artifact, stored, commit: options.commit ?? null, ci });
    if (ciEvidence) await services.sink.emit(ciCheckedEvent(env, 'register', ciEvidence));
  }
  return { ...result, stored, copied, ...(ciEvidence ? { ciEvidence } : {}) };
}

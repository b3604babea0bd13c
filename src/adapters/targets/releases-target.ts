import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rename, rm, statfs, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { releaseOfDir } from './releases-observer.js';
import type { Outcome } from '../../ports/outcome.js';
import { failed, succeeded } from '../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../ports/runtime.js';
import type { ActionDescription, FreeSpace, ReleaseArtifact, ServedProcess, Target, TargetCapabilities } from '../../ports/target.js';
import { inspectArtifact, type ArtifactInspection } from '../../artifacts/artifact-digest.js';
import { RELEASE_MARKER as MARKER } from '../../artifacts/artifact-tree.js';
import { scanDirectory } from '../../artifacts/directory-scan.js';
import { readTarball } from '../../artifacts/tarball-scan.js';
import { TreeWriter, TreeWriteError } from '../../artifacts/tree-writer.js';
import { verifyUnpackedTree } from '../../artifacts/unpacked-tree.js';
import { isRewindError } from '../../errors/rewind-error.js';

export const RELEASES_TARGET_TYPE = 'releases';

/** What prepare writes into an unpacked release, after its tree was verified. */
interface ReleaseMarker {
  version: string;
  /** The registered digest of the artifact it was unpacked from. */
  digest: string;
  artifact: string;
  /** The tree digest the unpacked files were verified against (absent in markers of older rewinds). */
  tree?: string;
}

/**
 * Capistrano-style layout: `<path>/releases/<version>/` holds each unpacked release and
 * `<path>/current` is a symlink to the active one, switched by writing a new link and renaming it
 * over the old (rename is atomic, so no request ever sees a missing `current`).
 */
export class ReleasesTarget implements Target {
  readonly type = RELEASES_TARGET_TYPE;
  readonly capabilities: TargetCapabilities;

  constructor(
    private readonly root: string,
    private readonly runtime: Runtime,
  ) {
    this.capabilities = {
      atomicSwitch: true,
      keepsPreviousWarm: false,
      trafficSplit: false,
      nativeRollback: false,
      zeroDowntimeReload: runtime.supportsZeroDowntimeReload,
    };
  }

  get releasesDir(): string {
    return join(this.root, 'releases');
  }

  get currentLink(): string {
    return join(this.root, 'current');
  }

  releaseDir(version: string): string {
    return join(this.releasesDir, version);
  }

  private runtimeContext(version: string): RuntimeContext {
    return { currentDir: this.currentLink, releaseDir: this.releaseDir(version), version };
  }

  describePrepare(release: ReleaseArtifact): ActionDescription {
    return {
      summary: `unpack ${release.artifact} into ${this.releaseDir(release.version)}`,
      commands: [],
      effects: [
        `skip if ${this.releaseDir(release.version)}/${MARKER} records ${release.digest}`,
        `check ${release.artifact} holds only regular files, directories and symlinks inside the release`,
        `verify sha256 of ${release.artifact} equals ${release.digest}`,
        `copy/extract into ${this.releasesDir}/.tmp-${release.version}-*, verify the copy's tree digest, then rename to ${this.releaseDir(release.version)}`,
      ],
    };
  }

  describeActivate(version: string): ActionDescription {
    const runtime = this.runtime.describeActivate(this.runtimeContext(version));
    return {
      summary: `switch ${this.currentLink} -> releases/${version}; ${runtime.summary}`,
      commands: runtime.commands,
      effects: [`symlink ${this.currentLink}.tmp-* -> releases/${version}`, `rename it over ${this.currentLink}`, ...runtime.effects],
    };
  }

  async prepare(release: ReleaseArtifact): Promise<Outcome> {
    const destination = this.releaseDir(release.version);
    const marker = await this.readMarker(release.version);
    if (marker) {
      if (marker.digest !== release.digest) {
        return failed(`${destination} holds digest ${marker.digest}, not the registered ${release.digest}`, { dir: destination }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
      }
      // The marker is written only after the unpacked tree matched the artifact, and names that tree.
      if (marker.tree) return succeeded(`${release.version} already unpacked`, { dir: destination, reused: true, tree: marker.tree });
      return succeeded(`${release.version} already unpacked (by an older rewind that recorded no tree digest; not re-verified)`, { dir: destination, reused: true, tree: null });
    }
    if (!existsSync(release.artifact)) {
      return failed(`artifact ${release.artifact} is gone and ${release.version} is not unpacked`, { artifact: release.artifact }, 'REWIND_E_ARTIFACT_NOT_FOUND');
    }
    // The rules again, not only at register: the artifact may have changed since, or have been
    // registered by a rewind that did not check them.
    let inspection: ArtifactInspection;
    try {
      inspection = await inspectArtifact(release.artifact);
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
    if (inspection.digest !== release.digest) {
      return failed(`artifact ${release.artifact} has digest ${inspection.digest}, but ${release.version} was registered with ${release.digest}`, { artifact: release.artifact, expected: release.digest, actual: inspection.digest }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
    }
    await mkdir(this.releasesDir, { recursive: true });
    const staging = join(this.releasesDir, `.tmp-${release.version}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging);
      // Every write is awaited in turn: when this throws, nothing is still writing into `staging`.
      const writer = new TreeWriter(staging);
      if (inspection.kind === 'directory') await scanDirectory(release.artifact, { writer });
      else await readTarball(release.artifact, { writer, root: inspection.root });
      const tree = await verifyUnpackedTree(staging, { tree: inspection.tree, directoryDigest: inspection.kind === 'directory' ? release.digest : undefined }, release.artifact);
      const record: ReleaseMarker = { version: release.version, digest: release.digest, artifact: release.artifact, tree };
      await writeFile(join(staging, MARKER), JSON.stringify(record) + '\n');
      await rename(staging, destination);
      return succeeded(`unpacked ${release.version}`, { dir: destination, reused: false, tree });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      const cause = error as NodeJS.ErrnoException;
      const path = error instanceof TreeWriteError ? error.path : cause.path;
      return failed(`cannot unpack ${release.artifact}: ${cause.message}`, { artifact: release.artifact, staging, path, cause: cause.code }, 'REWIND_E_ARTIFACT_UNPACK');
    }
  }

  async activate(version: string): Promise<Outcome> {
    if (!(await this.readMarker(version))) return failed(`${this.releaseDir(version)} is not an unpacked release`, undefined, 'REWIND_E_ARTIFACT_NOT_FOUND');
    const before = await this.readCurrentLink();
    const started = performance.now();
    const switched = await pointLink(this.currentLink, join('releases', version));
    const switchMs = performance.now() - started;
    let runtime: Outcome;
    try {
      runtime = await this.runtime.activate(this.runtimeContext(version));
    } catch (error) {
      runtime = failed(`${this.runtime.type} could not activate ${version}: ${(error as Error).message}`);
    }
    if (runtime.status !== 'succeeded' && switched) {
      // Put the link back before reporting: `current` must never name a release the runtime did not
      // take, or link, served release and ledger disagree once the failure is handled.
      if (before) await pointLink(this.currentLink, before);
      else await rm(this.currentLink, { force: true });
      return { ...runtime, message: `${runtime.message}; ${this.currentLink} restored to ${before ? basename(before) : 'nothing'}`, detail: { ...runtime.detail, switched: false, restoredLink: before } };
    }
    return {
      ...runtime,
      message: `${switched ? 'switched' : 'already on'} ${version}; ${runtime.message}`,
      detail: { ...runtime.detail, switched, switchMs: Math.round(switchMs * 1000) / 1000 },
    };
  }

  async stop(): Promise<Outcome> {
    const active = (await this.activeVersion()) ?? 'none';
    return this.runtime.stop(this.runtimeContext(active));
  }

  async activeVersion(): Promise<string | null> {
    const link = await this.readCurrentLink();
    return link ? basename(link) : null;
  }

  async servedVersions(): Promise<ServedProcess[] | null> {
    const dirs = (await this.runtime.servedDirs?.()) ?? null;
    return dirs === null ? null : dirs.map((dir) => ({ version: releaseOfDir(this.releasesDir, dir), where: dir }));
  }

  /** Points `current` at a release that already serves (repair), without reloading anything. */
  async markActive(version: string): Promise<void> {
    await pointLink(this.currentLink, join('releases', version));
  }

  async installedVersions(): Promise<string[]> {
    if (!existsSync(this.releasesDir)) return [];
    const entries = await readdir(this.releasesDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  }

  async remove(version: string): Promise<void> {
    if ((await this.activeVersion()) === version) throw new Error(`refusing to remove the active release ${version}`);
    // Rename first so a half-deleted directory is never mistaken for a release.
    const doomed = join(this.releasesDir, `.del-${version}-${randomBytes(4).toString('hex')}`);
    await rename(this.releaseDir(version), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  /** Measured where releases are unpacked: `releases/` (or its nearest existing ancestor), which may be its own mount. */
  async freeSpace(): Promise<FreeSpace> {
    let probe = this.releasesDir;
    while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
    const info = await statfs(probe);
    return { bytes: info.bavail * info.bsize, path: probe };
  }

  async close(): Promise<void> {
    await this.runtime.close();
  }

  private readCurrentLink(): Promise<string | null> {
    return readLinkOrNull(this.currentLink);
  }

  /** Whether `version` is unpacked here (its marker file exists). */
  async isPrepared(version: string): Promise<boolean> {
    return (await this.readMarker(version)) !== null;
  }

  private async readMarker(version: string): Promise<ReleaseMarker | null> {
    try {
      return JSON.parse(await readFile(join(this.releaseDir(version), MARKER), 'utf8')) as ReleaseMarker;
    } catch {
      return null;
    }
  }
}

/** Where a symlink points, or null when there is none. */
export async function readLinkOrNull(link: string): Promise<string | null> {
  try {
    return await readlink(link);
  } catch {
    return null;
  }
}

/**
 * Points `link` at `destination` atomically: a new link under a temporary name renamed over the old
 * (rename is atomic, so nothing ever sees the link missing). False when it already pointed there.
 */
export async function pointLink(link: string, destination: string): Promise<boolean> {
  if ((await readLinkOrNull(link)) === destination) return false;
  const temporary = `${link}.tmp-${randomBytes(4).toString('hex')}`;
  await symlink(destination, temporary);
  await rename(temporary, link);
  return true;
}

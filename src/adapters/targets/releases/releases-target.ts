import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { releaseOfDir } from './releases-observer.js';
import type { Outcome } from '../../../ports/outcome.js';
import { failed, succeeded } from '../../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../../ports/runtime.js';
import { DEFAULT_TARGET_CAPABILITIES, type ActionDescription, type FreeSpace, type ReleaseArtifact, type ServedProcess, type Target, type TargetCapabilities } from '../../../ports/target.js';
import { inspectArtifact, type ArtifactInspection } from '../../../artifacts/artifact-digest.js';
import { RELEASE_MARKER as MARKER } from '../../../artifacts/artifact-tree.js';
import { scanDirectory } from '../../../artifacts/directory-scan.js';
import { readTarball } from '../../../artifacts/tarball-scan.js';
import { TreeWriter, TreeWriteError } from '../../../artifacts/tree-writer.js';
import { verifyUnpackedTree } from '../../../artifacts/unpacked-tree.js';
import { isRewindError } from '../../../errors/rewind-error.js';
import { RELEASES_TARGET_TYPE } from './releases-config.js';
import { freeSpaceAt } from '../free-space.js';

/** What prepare writes into an unpacked release, after its tree was verified. */
interface ReleaseMarker {
  version: string;
  /** The registered digest of the artifact it was unpacked from. */
  digest: string;
  artifact: string;
  /** The tree digest the unpacked files were verified against (absent in markers of older rewinds). */
  tree?: string;
  /** What was unpacked: rewind's stored copy, or the registered path (absent in markers of older rewinds). */
  from?: string;
}

/** A place a release can be unpacked from. */
interface Source {
  path: string;
  /** How messages name it. */
  name: string;
  /** Whether it is rewind's stored copy (else the path the release was registered from). */
  stored: boolean;
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
    /** From the definition (releases-definition.ts) through the registry; the default is for tests that build one directly. */
    capabilities: TargetCapabilities = { ...DEFAULT_TARGET_CAPABILITIES, atomicSwitch: true },
  ) {
    // Whether activating drops requests is the runtime's to say (PM2 cluster mode, a command's zeroDowntime).
    this.capabilities = { ...capabilities, zeroDowntimeReload: runtime.supportsZeroDowntimeReload };
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
    const from = release.stored ? `${release.stored} (rewind's stored copy of ${release.artifact})` : release.artifact;
    return {
      summary: `unpack ${from} into ${this.releaseDir(release.version)}`,
      commands: [],
      effects: [
        `skip if ${this.releaseDir(release.version)}/${MARKER} records ${release.digest}`,
        ...(release.stored ? [`unpack from ${release.stored}; from ${release.artifact} only if the stored copy is gone or no longer has ${release.digest}`] : []),
        `check ${from} holds only regular files, directories and symlinks inside the release`,
        `verify sha256 of ${from} equals ${release.digest}`,
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

  /**
   * Unpacks from rewind's stored copy of the artifact (`release.stored`), and from the path it was
   * registered from only when there is no stored copy (a release registered before the store, or
   * whose copy was pruned) or the stored copy no longer passes: so rebuilding or moving a build
   * folder never makes a registered release undeployable.
   */
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
    const sources: Source[] = [];
    if (release.stored && existsSync(release.stored)) sources.push({ path: release.stored, name: `rewind's stored copy ${release.stored}`, stored: true });
    if (existsSync(release.artifact)) sources.push({ path: release.artifact, name: `artifact ${release.artifact}`, stored: false });
    if (sources.length === 0) {
      const message = release.stored
        ? `${release.version} is not unpacked, rewind's stored copy ${release.stored} is gone, and so is artifact ${release.artifact}`
        : `artifact ${release.artifact} is gone and ${release.version} is not unpacked (rewind's artifact store holds no copy of ${release.digest})`;
      return failed(message, { artifact: release.artifact, stored: release.stored ?? null }, 'REWIND_E_ARTIFACT_NOT_FOUND');
    }
    const refused: Outcome[] = [];
    for (const source of sources) {
      const checked = await this.check(source, release);
      if ('status' in checked) refused.push(checked);
      else return this.unpack(release, source, checked, refused[0]?.message);
    }
    if (refused.length === 1) return refused[0]!;
    return failed(refused.map((outcome) => outcome.message).join('; and '), { artifact: release.artifact, stored: release.stored ?? null, refused: refused.map((outcome) => outcome.detail ?? null) }, refused[0]!.code);
  }

  /** The rules again and the digest, not only at register: the source may have changed since, or have been registered by a rewind that did not check them. */
  private async check(source: Source, release: ReleaseArtifact): Promise<ArtifactInspection | Outcome> {
    let inspection: ArtifactInspection;
    try {
      inspection = await inspectArtifact(source.path);
    } catch (error) {
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      throw error;
    }
    if (inspection.digest !== release.digest) {
      return failed(`${source.name} has digest ${inspection.digest}, but ${release.version} was registered with ${release.digest}`, { artifact: source.path, expected: release.digest, actual: inspection.digest }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH');
    }
    return inspection;
  }

  /** `storedRefused`: why the stored copy was passed over for the registered path. */
  private async unpack(release: ReleaseArtifact, source: Source, inspection: ArtifactInspection, storedRefused?: string): Promise<Outcome> {
    const destination = this.releaseDir(release.version);
    await mkdir(this.releasesDir, { recursive: true });
    const staging = join(this.releasesDir, `.tmp-${release.version}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging);
      // Every write is awaited in turn: when this throws, nothing is still writing into `staging`.
      const writer = new TreeWriter(staging);
      if (inspection.kind === 'directory') await scanDirectory(source.path, { writer });
      else await readTarball(source.path, { writer, root: inspection.root });
      const tree = await verifyUnpackedTree(staging, { tree: inspection.tree, directoryDigest: inspection.kind === 'directory' ? release.digest : undefined }, source.path);
      const record: ReleaseMarker = { version: release.version, digest: release.digest, artifact: release.artifact, from: source.path, tree };
      await writeFile(join(staging, MARKER), JSON.stringify(record) + '\n');
      await rename(staging, destination);
      const from = source.stored
        ? "from rewind's artifact store"
        : `from ${release.artifact} (${storedRefused ? 'the stored copy did not pass' : release.stored ? `the stored copy ${release.stored} is gone` : "rewind's artifact store holds no copy"})`;
      return succeeded(`unpacked ${release.version} ${from}`, { dir: destination, reused: false, tree, source: source.path, stored: source.stored, ...(storedRefused ? { storedRefused } : {}) });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (isRewindError(error)) return failed(error.message, error.details, error.code);
      const cause = error as NodeJS.ErrnoException;
      const path = error instanceof TreeWriteError ? error.path : cause.path;
      return failed(`cannot unpack ${source.path}: ${cause.message}`, { artifact: source.path, staging, path, cause: cause.code }, 'REWIND_E_ARTIFACT_UNPACK');
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
    return freeSpaceAt(this.releasesDir);
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

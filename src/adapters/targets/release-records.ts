import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectArtifact } from '../../artifacts/artifact-digest.js';
import { failed, type Outcome } from '../../ports/outcome.js';
import type { ReleaseArtifact } from '../../ports/target.js';

// The targets whose releases live on a platform (compose, ecs, helm, kubernetes) keep, on this
// machine, only what maps the platform's objects back to rewind releases: one record per prepared
// release, and the manifest directory a release was registered as. Both are shared here so that a
// fix to their crash safety lands in every target at once.

/**
 * One JSON record per prepared release, at <stateDir>/releases/<version>/release.json. A record is
 * written into a dot-named staging directory and renamed into place, and removed by renaming it away
 * first, so a crash never leaves half a record or a half-deleted one that reads as prepared (dot-named
 * directories are never listed).
 */
export class ReleaseRecords<T extends { version: string }> {
  constructor(readonly dir: string) {}

  get releasesDir(): string {
    return join(this.dir, 'releases');
  }

  recordFile(version: string): string {
    return join(this.releasesDir, version, 'release.json');
  }

  /** Synchronous, for plans (describe*) that read one small file. */
  recordSync(version: string): T | null {
    try {
      return JSON.parse(readFileSync(this.recordFile(version), 'utf8')) as T;
    } catch {
      return null;
    }
  }

  async record(version: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(version), 'utf8')) as T;
    } catch {
      return null;
    }
  }

  async writeRecord(record: T): Promise<void> {
    const staging = join(this.releasesDir, `.tmp-${record.version}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    try {
      await writeFile(join(staging, 'release.json'), JSON.stringify(record, null, 2) + '\n');
      await rm(join(this.releasesDir, record.version), { recursive: true, force: true });
      await rename(staging, join(this.releasesDir, record.version));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The versions with a record, sorted (as strings) so listings are stable. */
  async versions(): Promise<string[]> {
    if (!existsSync(this.releasesDir)) return [];
    const entries = await readdir(this.releasesDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(this.recordFile(e.name)))
      .map((e) => e.name)
      .sort();
  }

  async records(): Promise<T[]> {
    const records: T[] = [];
    for (const version of await this.versions()) {
      const record = await this.record(version);
      if (record) records.push(record);
    }
    return records;
  }

  /**
   * The marker a platform target leaves once it has adopted what the platform ran before rewind
   * (the first deploy's "previous" is that, not nothing): a file holding when, never removed.
   */
  get adoptedFile(): string {
    return join(this.dir, 'adopted');
  }

  adopted(): boolean {
    return existsSync(this.adoptedFile);
  }

  async markAdopted(): Promise<void> {
    if (this.adopted()) return;
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.adoptedFile, `${new Date().toISOString()}\n`);
  }

  async removeRecord(version: string): Promise<void> {
    if (!existsSync(join(this.releasesDir, version))) return;
    const doomed = join(this.releasesDir, `.del-${version}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.releasesDir, version), doomed);
    await rm(doomed, { recursive: true, force: true });
  }
}

/**
 * Writes the manifest directory `release register` records for a platform release:
 * <stateDir>/manifests/<first 16 hex of sha256(content)>/<file>. Named by content, so the same
 * manifest gives the same directory (and artifact digest) and a different one never overwrites it;
 * staged under a temporary name and renamed, so the directory is whole or absent.
 */
export async function writeManifestDir(stateDir: string, file: string, content: string): Promise<string> {
  const dir = join(stateDir, 'manifests', createHash('sha256').update(content).digest('hex').slice(0, 16));
  const staging = `${dir}.tmp-${process.pid}`;
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, file), content);
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return dir;
}

/**
 * What a platform target's prepare works from: the record of an earlier prepare of `release` (its
 * digest must be the registered one), else the registered manifest directory (rewind's stored copy
 * first, then the path given at register), whose digest is checked before its `file` is read. A
 * failed Outcome names the mismatch or the missing manifest; `what` says what the manifest is.
 */
export async function preparedManifest<M, R extends M & { version: string; digest: string }>(
  records: ReleaseRecords<R>,
  release: ReleaseArtifact,
  file: string,
  what: string,
  read: (path: string) => M,
): Promise<{ manifest: M; existing: R | null } | { failure: Outcome }> {
  const existing = await records.record(release.version);
  if (existing && existing.digest !== release.digest) {
    return { failure: failed(`${release.version} was prepared from digest ${existing.digest}, not the registered ${release.digest}`, { record: records.recordFile(release.version) }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH') };
  }
  if (existing) return { manifest: existing, existing };
  const source = [release.stored, release.artifact].find((p): p is string => !!p && existsSync(join(p, file)));
  if (!source) return { failure: failed(`the ${what} of ${release.version} is gone (${[release.stored, release.artifact].filter(Boolean).join(', ')})`, { artifact: release.artifact, stored: release.stored ?? null }, 'REWIND_E_ARTIFACT_NOT_FOUND') };
  const inspection = await inspectArtifact(source);
  if (inspection.digest !== release.digest) {
    return { failure: failed(`${source} has digest ${inspection.digest}, but ${release.version} was registered with ${release.digest}`, { artifact: source, expected: release.digest, actual: inspection.digest }, 'REWIND_E_ARTIFACT_DIGEST_MISMATCH') };
  }
  return { manifest: read(join(source, file)), existing: null };
}

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// What the helm target keeps on this machine, under its state directory:
//   releases/<v>/release.json  one per prepared release: manifest digest, chart version, --set values
//   revisions.json             Helm revision -> the rewind release it ran (and whether it was `stop`'s)
// Helm itself holds the history (as Secrets in the namespace); these files only map revisions back
// to releases, which Helm cannot: two releases may share a chart version.

/** helm-release.json, the manifest a release is registered as (`release register --artifact <dir>`). */
export const MANIFEST_FILE = 'helm-release.json';
export interface HelmManifest {
  chartVersion: string;
  /** `--set key=value` pairs, in key order. */
  values: Record<string, string>;
}
export interface HelmRecord extends HelmManifest {
  version: string;
  digest: string;
}
export interface RevisionEntry {
  version: string;
  /** The revision `stop` made (the same release with stopSet): not a deployment of it. */
  stopped?: boolean;
  /** The revision's status right after the command that made it: only a `deployed` one is a rollback's destination. */
  status?: string;
}

export class HelmState {
  constructor(readonly dir: string) {}

  get releasesDir(): string {
    return join(this.dir, 'releases');
  }
  get revisionsFile(): string {
    return join(this.dir, 'revisions.json');
  }
  recordFile(version: string): string {
    return join(this.releasesDir, version, 'release.json');
  }

  recordSync(version: string): HelmRecord | null {
    try {
      return JSON.parse(readFileSync(this.recordFile(version), 'utf8')) as HelmRecord;
    } catch {
      return null;
    }
  }

  async record(version: string): Promise<HelmRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(version), 'utf8')) as HelmRecord;
    } catch {
      return null;
    }
  }

  async writeRecord(record: HelmRecord): Promise<void> {
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

  async versions(): Promise<string[]> {
    if (!existsSync(this.releasesDir)) return [];
    const entries = await readdir(this.releasesDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(this.recordFile(e.name))).map((e) => e.name);
  }

  async removeRecord(version: string): Promise<void> {
    const doomed = join(this.releasesDir, `.del-${version}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.releasesDir, version), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  revisions(): Record<string, RevisionEntry> {
    try {
      return JSON.parse(readFileSync(this.revisionsFile, 'utf8')) as Record<string, RevisionEntry>;
    } catch {
      return {};
    }
  }

  async recordRevision(revision: number, entry: RevisionEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const all = { ...this.revisions(), [String(revision)]: entry };
    const temporary = `${this.revisionsFile}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(temporary, JSON.stringify(all, null, 2) + '\n');
    await rename(temporary, this.revisionsFile);
  }
}

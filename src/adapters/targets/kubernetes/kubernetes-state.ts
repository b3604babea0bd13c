import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What rewind recorded of a prepared release: its images, and the revision each Deployment got for it. */
export interface KubeReleaseRecord {
  version: string;
  digest: string;
  /** `deployment/container` -> `repo@sha256:...`. */
  images: Record<string, string>;
  /** Deployment -> its `deployment.kubernetes.io/revision` the last time this release rolled out. */
  revisions?: Record<string, string>;
}

/** The manifest file of a release's artifact directory (as compose's images.json). */
export const MANIFEST_FILE = 'images.json';

/** Release records under <stateDir>/releases, one JSON file each, written by rename. */
export class KubernetesState {
  constructor(readonly dir: string) {}

  recordFile(version: string): string {
    return join(this.dir, 'releases', `${encodeURIComponent(version)}.json`);
  }

  recordSync(version: string): KubeReleaseRecord | null {
    const file = this.recordFile(version);
    if (!existsSync(file)) return null;
    return JSON.parse(readFileSync(file, 'utf8')) as KubeReleaseRecord;
  }

  async record(version: string): Promise<KubeReleaseRecord | null> {
    return this.recordSync(version);
  }

  async writeRecord(record: KubeReleaseRecord): Promise<void> {
    const file = this.recordFile(record.version);
    await mkdir(join(this.dir, 'releases'), { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
    await rename(`${file}.tmp`, file);
  }

  async removeRecord(version: string): Promise<void> {
    await rm(this.recordFile(version), { force: true });
  }

  async versions(): Promise<string[]> {
    const dir = join(this.dir, 'releases');
    if (!existsSync(dir)) return [];
    return (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => decodeURIComponent(f.slice(0, -5))).sort();
  }
}

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../util/atomic-file.js';
import { ReleaseRecords } from '../release-records.js';

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

export class HelmState extends ReleaseRecords<HelmRecord> {
  get revisionsFile(): string {
    return join(this.dir, 'revisions.json');
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
    await writeFileAtomic(this.revisionsFile, JSON.stringify(all, null, 2) + '\n');
  }
}

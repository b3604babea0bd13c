import { ReleaseRecords } from '../release-records.js';

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

/** Release records under <stateDir>/releases (release-records.ts). */
export class KubernetesState extends ReleaseRecords<KubeReleaseRecord> {}

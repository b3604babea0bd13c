import { ArtifactStore } from '../artifacts/artifact-store.js';
import type { RewindConfig } from '../config/config-schema.js';
import { artifactStoreDir } from '../config/load-config.js';
import type { ReleaseRecord } from '../ports/ledger.js';

export function artifactStore(config: RewindConfig): ArtifactStore {
  return new ArtifactStore(artifactStoreDir(config));
}

/** rewind's stored copy of `release`'s artifact, for the plan's prepare step; undefined when the store has none. */
export async function storedCopy(services: { config: RewindConfig }, release: ReleaseRecord): Promise<string | undefined> {
  return (await artifactStore(services.config).locate(release.digest))?.path;
}

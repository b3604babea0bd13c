import { ArtifactStore } from '../artifacts/artifact-store.js';
import type { RewindConfig } from '../config/config-schema.js';
import { artifactStoreDir } from '../config/load-config.js';
import type { Ledger, ReleaseRecord } from '../ports/ledger.js';
import { ownValue } from '../util/own-property.js';
import { artifactNeeds, needsArtifact, type ArtifactNeeds } from './release-retention.js';

export function artifactStore(config: RewindConfig): ArtifactStore {
  return new ArtifactStore(artifactStoreDir(config));
}

/** rewind's stored copy of `release`'s artifact, for the plan's prepare step; undefined when the store has none. */
export async function storedCopy(services: { config: RewindConfig }, release: ReleaseRecord): Promise<string | undefined> {
  return (await artifactStore(services.config).locate(release.digest))?.path;
}

export interface StorePrune {
  /** Digests whose entries were removed: no release, in any environment, needs them. */
  dropped: string[];
  /** Entries kept. */
  kept: number;
  /** Leftovers of copies and removals a dead process left (artifact-store.ts, STALE_WORK_MS). */
  swept: string[];
}

/**
 * Removes the store entries no release needs any more (release-retention.ts says which). Every
 * entry is judged by all the releases registered with its digest, in every environment: the one
 * being pruned (`here`, which includes what its target shows in use) and the others as their
 * ledger and their own `keep` say. A release of an environment no longer in the config keeps its
 * entry (rewind cannot judge it). Entries are renamed away before they are removed and judged
 * again after (ArtifactStore.drop), so a release registered or an operation started meanwhile
 * keeps its entry.
 */
export async function pruneArtifactStore(input: { ledger: Ledger; config: RewindConfig; env: string; here: ArtifactNeeds }): Promise<StorePrune> {
  const { ledger, config } = input;
  const store = artifactStore(config);
  const known = new Map<string, ArtifactNeeds | null>([[input.env, input.here]]);
  const needsOf = async (env: string, fresh: boolean): Promise<ArtifactNeeds | null> => {
    if (!fresh && known.has(env)) return known.get(env)!;
    const environment = ownValue(config.environments, env);
    const here = env === input.env ? input.here : undefined;
    const needs = environment ? await artifactNeeds(ledger, env, environment.target.keep, here?.protected ?? []) : null;
    known.set(env, needs);
    return needs;
  };
  const dropped: string[] = [];
  let kept = 0;
  for (const entry of await store.entries()) {
    let check = 0;
    const stillNeeded = async (): Promise<boolean> => {
      const fresh = check++ > 0;
      for (const release of await ledger.findReleasesByDigest(entry.digest)) {
        const needs = await needsOf(release.env, fresh);
        if (!needs || needsArtifact(release, needs)) return true;
      }
      return false;
    };
    if (await store.drop(entry, stillNeeded)) dropped.push(entry.digest);
    else kept++;
  }
  const swept = await store.sweep(Date.now());
  return { dropped, kept, swept };
}

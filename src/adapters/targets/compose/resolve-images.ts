import { RewindError } from '../../../errors/rewind-error.js';
import type { CommandResult } from '../../../ports/executor.js';
import { MANIFEST_FILE, type ImageManifest } from './compose-state.js';
import { parseImageReference, pinned } from './image-reference.js';
import { writeManifestDir } from '../release-records.js';

export interface ResolveOptions {
  /** Refuse a reference without a digest (REWIND_E_IMAGE_DIGEST_REQUIRED) instead of resolving its tag. */
  requireDigests: boolean;
  /** Runs `docker <args>` (through the Executor). */
  run(args: readonly string[]): Promise<CommandResult>;
  /** The target's state directory: manifests are written under its manifests/ (release-records.ts). */
  stateDir: string;
}

/**
 * Turns `service -> reference` into the manifest directory a compose release is registered as:
 * every reference pinned by digest. A tag is resolved once, here (`docker pull` then the pulled
 * image's RepoDigests, so Docker's own credentials and mirrors apply); the tag is not recorded, so
 * nothing later depends on where it points. Every reference is checked before anything is written.
 */
export async function resolveImages(images: Record<string, string>, options: ResolveOptions): Promise<string> {
  const resolved: Record<string, string> = {};
  for (const [service, reference] of Object.entries(images).sort(([a], [b]) => a.localeCompare(b))) {
    const parsed = parseImageReference(reference);
    if (!parsed) throw new RewindError('REWIND_E_USAGE', `--image ${service}=${reference}: not an image reference (repository[:tag][@sha256:<64 hex>])`, { argument: '--image', service });
    if (parsed.digest) {
      resolved[service] = pinned({ ...parsed, digest: parsed.digest });
      continue;
    }
    if (options.requireDigests) {
      throw new RewindError('REWIND_E_IMAGE_DIGEST_REQUIRED', `--image ${service}=${reference} has a tag and no digest, and this target sets requireDigests: give ${parsed.repository}@sha256:<digest>`, { service, image: reference });
    }
    const pulled = await options.run(['pull', reference]);
    if (pulled.exitCode !== 0) {
      throw new RewindError('REWIND_E_IMAGE_PULL_FAILED', `docker pull ${reference} failed: ${pulled.stderr.trim().split('\n').slice(-3).join(' | ')}`, { service, image: reference });
    }
    const inspected = await options.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', reference]);
    const digests = inspected.exitCode === 0 ? (JSON.parse(inspected.stdout) as string[] | null) ?? [] : [];
    const match = digests.find((d) => d.startsWith(`${parsed.repository}@`));
    if (!match) {
      throw new RewindError('REWIND_E_IMAGE_DIGEST_REQUIRED', `${reference} has no registry digest for ${parsed.repository} (a locally built image that was never pushed?): push it, or pass ${parsed.repository}@sha256:<digest>`, { service, image: reference, repoDigests: digests });
    }
    resolved[service] = match;
  }
  if (Object.keys(resolved).length === 0) throw new RewindError('REWIND_E_USAGE', 'release register --image needs at least one service=reference', { argument: '--image' });
  const manifest: ImageManifest = { images: resolved };
  const content = JSON.stringify(manifest, null, 2) + '\n';
  return writeManifestDir(options.stateDir, MANIFEST_FILE, content);
}

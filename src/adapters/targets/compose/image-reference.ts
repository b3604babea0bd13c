/** An image reference split as Docker reads it: `[registry[:port]/]name[:tag][@sha256:<64 hex>]`. */
export interface ImageReference {
  /** Registry and name, without tag or digest (`localhost:5000/app`). */
  repository: string;
  tag: string | null;
  /** `sha256:<64 hex>`, or null when the reference has none. */
  digest: string | null;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Null when `reference` is not an image reference (empty name, a bad digest, spaces). */
export function parseImageReference(reference: string): ImageReference | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(reference)) return null;
  const at = reference.indexOf('@');
  const digest = at === -1 ? null : reference.slice(at + 1);
  if (digest !== null && !DIGEST.test(digest)) return null;
  const named = at === -1 ? reference : reference.slice(0, at);
  // A colon after the last slash starts the tag; one before it is a registry's port.
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const repository = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : null;
  if (!repository || repository.endsWith('/') || tag === '') return null;
  return { repository, tag, digest };
}

/** `repository@sha256:...`: the form rewind records and deploys (the tag, mutable, is dropped). */
export function pinned(reference: ImageReference & { digest: string }): string {
  return `${reference.repository}@${reference.digest}`;
}

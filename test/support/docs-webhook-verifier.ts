import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The receiver-side check docs/config.md ("Signed webhooks") gives its readers. */
export type VerifyRewindWebhook = (secret: string, headers: IncomingHttpHeaders, rawBody: Buffer | string, nowMs?: number) => boolean;

/** The ```js block of docs/config.md's "Signed webhooks" section, as written there. */
export function docsVerifierSource(): string {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'config.md'), 'utf8');
  const section = doc.slice(doc.indexOf('#### Signed webhooks'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/config.md: no ```js block under "#### Signed webhooks"');
  return block;
}

/**
 * The docs' verification function itself, not a copy of it: its block is written to a throwaway
 * module, imported, and the file removed at once, so the tests run what readers paste.
 */
export async function loadDocsVerifier(): Promise<VerifyRewindWebhook> {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-docs-verifier-'));
  try {
    const file = join(dir, 'verify-rewind-webhook.mjs');
    writeFileSync(file, docsVerifierSource());
    const module = (await import(pathToFileURL(file).href)) as { verifyRewindWebhook?: VerifyRewindWebhook };
    if (typeof module.verifyRewindWebhook !== 'function') throw new Error('docs/config.md: the snippet exports no verifyRewindWebhook');
    return module.verifyRewindWebhook;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

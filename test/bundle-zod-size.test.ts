import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';

// Every rewind command loads the chunk that holds zod (the config is validated first). Named imports
// let esbuild keep only the zod that rewind uses (about 100 KB minified); one `await import('zod')`
// hands over the module's whole namespace, and the bundle then carried all of zod in that chunk
// (454 KB: every locale, fromJSONSchema), compiled by every command: 10 to 20 ms of each cold start.
// This reads the built bundle's source maps (npm run build; CI builds before it tests).

const CHUNKS = join(packageRoot(), 'dist', 'cli', 'chunks');

function zodSourcesByChunk(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of readdirSync(CHUNKS).filter((f) => f.endsWith('.js.map'))) {
    const map = JSON.parse(readFileSync(join(CHUNKS, file), 'utf8')) as { sources: string[] };
    const zod = map.sources.filter((s) => s.includes('node_modules/zod/'));
    if (zod.length) found.set(file, zod);
  }
  return found;
}

describe('the CLI bundle carries only the zod rewind uses', () => {
  const chunks = zodSourcesByChunk();

  it('finds zod in the bundle (the check reads the right files)', () => {
    expect([...chunks.values()].flat().some((s) => s.endsWith('zod/v4/core/schemas.js'))).toBe(true);
  });

  it('holds no locale but English and no JSON Schema importer', () => {
    const unused = [...chunks.values()].flat().filter((s) => (/zod\/v4\/locales\//.test(s) && !s.endsWith('/locales/en.js')) || s.endsWith('/from-json-schema.js'));
    expect(unused).toEqual([]);
  });
});

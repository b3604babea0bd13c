import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';

// Every rewind command loads zod (the config is validated first). Named imports let esbuild keep only
// the zod that rewind uses (about 100 KB minified); one `await import('zod')` hands over the module's
// whole namespace, and the bundle then carried all of zod (454 KB: every locale, fromJSONSchema),
// read and compiled by every command: 10 to 20 ms of each cold start. This reads the built bundle's
// source map (npm run build; CI builds before it tests).

const MAP = join(packageRoot(), 'dist', 'cli', 'rewind.cjs.map');

function zodSources(): string[] {
  const map = JSON.parse(readFileSync(MAP, 'utf8')) as { sources: string[] };
  return map.sources.filter((s) => s.includes('node_modules/zod/'));
}

describe('the CLI bundle carries only the zod rewind uses', () => {
  const sources = zodSources();

  it('finds zod in the bundle (the check reads the right files)', () => {
    expect(sources.some((s) => s.endsWith('zod/v4/core/schemas.js'))).toBe(true);
  });

  it('holds no locale but English and no JSON Schema importer', () => {
    // locales/index.js only re-exports the locales: the CommonJS bundle keeps its empty namespace
    // object (17 bytes), and a locale it names would show up here as a source of its own.
    const kept = (s: string) => s.endsWith('/locales/en.js') || s.endsWith('/locales/index.js');
    const unused = sources.filter((s) => (/zod\/v4\/locales\//.test(s) && !kept(s)) || s.endsWith('/from-json-schema.js'));
    expect(unused).toEqual([]);
  });
});

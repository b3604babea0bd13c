import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * rewind's name on the npm registry (the command stays `rewind`): the unscoped name `rewind` belongs
 * to an unrelated package there, which is also what `npx rewind` fetches where rewind is not installed.
 */
export const PACKAGE_NAME = 'rewind-release';

/**
 * The directory holding rewind's own package.json. Found by walking up from this module, because
 * the same code runs from `src/` (tests), from `dist/` (tsc output) and from the CLI's bundle,
 * `dist/cli/rewind.cjs` (where import.meta.url is the bundle's URL), each at a different depth.
 */
let root: string | undefined;
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`rewind's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * Opens a SQLite file with better-sqlite3 (the ledger, the sqlite database engine), handing it its
 * native addon. The CLI's bundle carries better-sqlite3's JavaScript, compiled with the bundle's code
 * cache (loaded by Node file by file from node_modules it cost 3 to 6 ms of every command that opens
 * the ledger, measured). The addon cannot be bundled: it stays in better-sqlite3's own folder, and this finds it
 * there, because better-sqlite3's own lookup (the `bindings` package) would search next to the bundle.
 */
export async function openSqliteDatabase(file: string, options: BetterSqlite3.Options = {}): Promise<BetterSqlite3.Database> {
  const { default: Database } = await import('better-sqlite3');
  // better-sqlite3 takes the loaded addon as well as its path (lib/database.js); its types name only the path.
  return new Database(file, { ...options, nativeBinding: sqliteAddon() as string });
}

let addon: string | object | undefined;

function sqliteAddon(): string | object {
  if (addon === undefined) addon = sqliteAddonIn(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')));
  return addon;
}

/**
 * The addon of the better-sqlite3 package in `root`: its path where node-gyp and prebuild-install
 * put it (naming it also skips `bindings` and its search, 1 to 2 ms); anywhere else, the addon that
 * `bindings` (better-sqlite3's own dependency) loads searching from `root`.
 */
export function sqliteAddonIn(root: string): string | object {
  const built = ['build', 'build/Debug', 'build/Release'].map((dir) => join(root, dir, 'better_sqlite3.node')).find((path) => existsSync(path));
  if (built) return built;
  const bindings = createRequire(join(root, 'package.json'))('bindings') as (options: { bindings: string; module_root: string }) => object;
  return bindings({ bindings: 'better_sqlite3.node', module_root: root });
}

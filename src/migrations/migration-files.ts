import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RewindError } from '../errors/rewind-error.js';
import type { MigrationFile, MigrationTool } from './migration-history.js';

const SCRIPT = /\.(js|cjs|mjs|ts|cts|mts)$/;

/** Compares dotted numeric versions (flyway `1.10` after `1.9`) and falls back to text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[._]/).map(Number);
  const pb = b.split(/[._]/).map(Number);
  if (pa.every(Number.isFinite) && pb.every(Number.isFinite)) {
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

async function files(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

type Layout = (dir: string) => Promise<MigrationFile[]>;

/** Each tool's layout on disk, and the id that matches its history table. */
const LAYOUTS: Record<MigrationTool, Layout> = {
  // prisma/migrations/<timestamp>_<name>/migration.sql (+ down.sql, seed 004), id = folder name
  async prisma(dir) {
    if (!existsSync(dir)) return [];
    const folders = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')));
    return folders.map((f) => ({
      id: f.name,
      name: f.name,
      upPath: join(dir, f.name, 'migration.sql'),
      downPath: existsSync(join(dir, f.name, 'down.sql')) ? join(dir, f.name, 'down.sql') : undefined,
    }));
  },
  // knex records the file name with its extension
  async knex(dir) {
    return (await files(dir)).filter((n) => SCRIPT.test(n)).map((n) => ({ id: n, name: n, upPath: join(dir, n) }));
  },
  // node-pg-migrate records the file name without its extension
  async 'node-pg-migrate'(dir) {
    return (await files(dir))
      .filter((n) => SCRIPT.test(n) || n.endsWith('.sql'))
      .map((n) => {
        const id = n.replace(/\.[^.]+$/, '');
        return { id, name: id, upPath: join(dir, n) };
      });
  },
  // <version>_<title>.up.sql / .down.sql, id = version
  async 'golang-migrate'(dir) {
    const names = await files(dir);
    return names
      .filter((n) => /^\d+_.*\.up\.sql$/.test(n))
      .map((n) => {
        const id = n.slice(0, n.indexOf('_'));
        const down = n.replace(/\.up\.sql$/, '.down.sql');
        return { id, name: n.replace(/\.up\.sql$/, ''), upPath: join(dir, n), downPath: names.includes(down) ? join(dir, down) : undefined };
      });
  },
  // V<version>__<desc>.sql, undo U<version>__<desc>.sql; flyway writes `1_1` in names as version 1.1
  async flyway(dir) {
    const names = await files(dir);
    return names
      .filter((n) => /^V[\d._]+__.+\.sql$/.test(n))
      .map((n) => {
        const raw = n.slice(1, n.indexOf('__'));
        const undo = `U${n.slice(1)}`;
        return { id: raw.replace(/_/g, '.'), name: n, upPath: join(dir, n), downPath: names.includes(undo) ? join(dir, undo) : undefined };
      });
  },
  // drizzle/<tag>.sql listed in meta/_journal.json; the history keys rows by the entry's `when`
  async drizzle(dir) {
    const journal = join(dir, 'meta', '_journal.json');
    if (!existsSync(journal)) return [];
    const { entries } = JSON.parse(await readFile(journal, 'utf8')) as { entries: { tag: string; when: number }[] };
    return entries.map((e) => ({ id: String(e.when), name: e.tag, upPath: join(dir, `${e.tag}.sql`) }));
  },
  // <timestamp>-<Name>.ts, id = timestamp (the table's `timestamp` column)
  async typeorm(dir) {
    return (await files(dir))
      .filter((n) => /^\d+-.+/.test(n) && SCRIPT.test(n) && !n.endsWith('.d.ts'))
      .map((n) => ({ id: n.slice(0, n.indexOf('-')), name: n.replace(SCRIPT, ''), upPath: join(dir, n) }));
  },
};

/** Migrations on disk for `tool` in `dir`, oldest first. */
export async function listMigrationFiles(tool: MigrationTool, dir: string): Promise<MigrationFile[]> {
  // Own property only: the tool name comes from rewind.yaml (the schema admits only these).
  if (!Object.hasOwn(LAYOUTS, tool)) throw new RewindError('REWIND_E_CONFIG_INVALID', `database.migrations.tool: ${JSON.stringify(tool)} is not a tool rewind knows (known: ${Object.keys(LAYOUTS).join(', ')})`, { tool });
  const list = await LAYOUTS[tool](dir);
  return list.sort((a, b) => compareVersions(a.id, b.id));
}

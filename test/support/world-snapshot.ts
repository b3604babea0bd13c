import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';

/**
 * What a refused command must leave as it was (the pattern of test/bad-input.test.ts): every row of
 * every table of a SQLite ledger, and every file and symlink under the sandbox root.
 */
export function worldSnapshot(root: string, ledgerFile: string): () => { ledger: Record<string, unknown[]>; files: Record<string, string> } {
  const ledgerDump = (): Record<string, unknown[]> => {
    const db = new Database(ledgerFile, { fileMustExist: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
    } finally {
      db.close();
    }
  };
  const ledgerName = relative(root, ledgerFile);
  const filesDump = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(root, full);
      // The ledger files are compared by their rows above (SQLite may rewrite pages without a change).
      if ([ledgerName, `${ledgerName}-wal`, `${ledgerName}-shm`, `${ledgerName}-journal`].includes(rel)) continue;
      if (entry.isSymbolicLink()) out[rel] = `-> ${readlinkSync(full)}`;
      else if (entry.isDirectory()) Object.assign(out, { [`${rel}/`]: 'dir' }, filesDump(full));
      else out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
    return out;
  };
  return () => ({ ledger: ledgerDump(), files: filesDump(root) });
}

/** Runs `attempt` and asserts the ledger and the files are the same afterwards. */
export async function unchangedBy<T>(snapshot: () => unknown, attempt: () => Promise<T>): Promise<T> {
  const before = snapshot();
  const result = await attempt();
  expect(snapshot()).toEqual(before);
  return result;
}

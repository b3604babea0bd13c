import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/open-ledger.js';
import { ledgerContract } from './contracts/ledger-contract.js';

// The ledger contract on a SQLite file in a fresh temp dir (in a subdirectory openLedger has to create).
// Made when the contract first opens the ledger (never, when REWIND_PROVIDERS leaves sqlite out).
let dir: string | undefined;
const ledgerFile = () => join((dir ??= mkdtempSync(join(tmpdir(), 'rewind-ledger-sqlite-'))), 'state', 'ledger.db');

ledgerContract({
  name: 'sqlite',
  provider: 'sqlite',
  open: () => openLedger(ledgerFile()),
  openSecond: () => openLedger(ledgerFile()),
  rawExec: async (sql) => {
    const database = new Database(ledgerFile());
    try {
      database.pragma('busy_timeout = 5000');
      database.exec(sql);
    } finally {
      database.close();
    }
  },
  cleanup: async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});

// SQLite only: real processes writing one file. Writers must queue (busy_timeout), not fail with
// "database is locked" when two read-then-write transactions overlap.
describe('SQLite ledger shared by concurrent processes', () => {
  const raceDir = mkdtempSync(join(tmpdir(), 'rewind-ledger-sqlite-race-'));
  const raceFile = join(raceDir, 'ledger.db');
  afterAll(() => rmSync(raceDir, { recursive: true, force: true }));

  function writer(tag: string, count: number): Promise<{ code: number | null; errors: string[]; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'ledger', 'concurrent-writer.ts'), raceFile, tag, String(count)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        // tsx would keep its compile cache in TMPDIR (tsx-<uid>) after the test; one small file needs none.
        env: { ...process.env, TSX_DISABLE_CACHE: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        let errors: string[] = [`no result (exit ${code})`];
        try {
          errors = (JSON.parse(stdout) as { errors: string[] }).errors;
        } catch {
          // keep the placeholder: the child died before reporting
        }
        resolve({ code, errors, stderr });
      });
    });
  }

  it('three processes registering and marking good in one environment all succeed, with distinct seq and goodSeq', async () => {
    // Migrate first so the race is about the ledger's own transactions, not schema creation.
    const ledger = await openLedger(raceFile);
    try {
      const count = 60;
      const results = await Promise.all(['1', '2', '3'].map((tag) => writer(tag, count)));
      for (const r of results) {
        expect(r.stderr).toBe('');
        expect(r.errors).toEqual([]);
        expect(r.code).toBe(0);
      }
      const releases = await ledger.listReleases('race', { limit: 10_000 });
      expect(releases).toHaveLength(3 * count);
      expect(new Set(releases.map((r) => r.seq)).size).toBe(3 * count);
      expect(Math.max(...releases.map((r) => r.seq))).toBe(3 * count);
      expect(releases.every((r) => r.state === 'good')).toBe(true);
      expect(new Set(releases.map((r) => r.goodSeq)).size).toBe(3 * count);
    } finally {
      await ledger.close();
    }
  });
});

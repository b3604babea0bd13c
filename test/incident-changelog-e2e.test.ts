import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../src/ports/ledger.js';
import { createSandbox, ENV, type Sandbox } from './support/sandbox.js';

// The CHANGELOG after a rollback: `rewind incident changelog` and `incident close`, through the built
// CLI on the smallest sandbox (real PM2, SQLite ledger, no database): a deploy whose health fails
// rolls back by itself and opens the incident. One sandbox, the tests in order.

const HEAD = '# Changelog\n\nAll notable changes to this project will be documented in this file.\n\n';
const RELEASES = '## [1.1.0] - 2026-02-01\n\n### Added\n\n- New checkout\n\n## [1.0.0] - 2026-01-01\n\n### Added\n\n- First release\n';

describe('incident changelog (real CLI, PM2)', () => {
  let sandbox: Sandbox;
  let file: string;
  let id: string;
  const changelogEvents = async () => (await sandbox.ledger.listEvents(ENV, { limit: 1000 })).filter((e) => e.event === 'incident_changelog');

  beforeAll(async () => {
    sandbox = await createSandbox();
    // A relative path: resolved against the config file's directory.
    await appendFile(sandbox.configPath, 'incidents:\n  changelog:\n    path: CHANGELOG.md\n');
    file = join(sandbox.root, 'CHANGELOG.md');
    await sandbox.release('1.0.0');
    await sandbox.release('1.1.0', { fault: { health: 'fail' } });
    expect((await sandbox.cli(['deploy', ENV, '1.0.0'])).code).toBe(0);
    expect((await sandbox.cli(['deploy', ENV, '1.1.0'])).code).toBe(7);
    const [incident] = JSON.parse((await sandbox.cli(['incident', 'list', '--json'])).stdout) as IncidentRecord[];
    id = String(incident!.id);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('refuses, changing nothing, without user impact, without the file, and without the release entry', async () => {
    const noImpact = await sandbox.cli(['incident', 'changelog', id]);
    expect(noImpact.code).toBe(4);
    expect(noImpact.stderr).toContain('REWIND_E_CHANGELOG_NO_IMPACT');
    expect((await sandbox.cli(['incident', 'update', id, '--impact', 'checkout down for 4 minutes'])).code).toBe(0);

    const missing = await sandbox.cli(['incident', 'changelog', id]);
    expect(missing.code, missing.stderr).toBe(3);
    expect(missing.stderr).toContain('REWIND_E_CHANGELOG_NOT_FOUND');
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);

    const noEntry = `${HEAD}## [1.0.0] - 2026-01-01\n`;
    await writeFile(file, noEntry);
    const refused = await sandbox.cli(['incident', 'changelog', id]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toContain('REWIND_E_CHANGELOG_NO_ENTRY');
    expect(await readFile(file, 'utf8')).toBe(noEntry);
    expect(await changelogEvents()).toEqual([]);
  });

  it('--dry-run prints the unified diff and changes nothing', async () => {
    await writeFile(file, HEAD + RELEASES);
    const dry = await sandbox.cli(['incident', 'changelog', id, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`--- a/${file}\n+++ b/${file}\n@@ `);
    expect(dry.stdout).toContain('\n+## [Unreleased]\n');
    expect(dry.stdout).toMatch(/\n\+- Rolled back 1\.1\.0 → 1\.0\.0 \(incident #\d+\): deploy of 1\.1\.0 failed at health/);
    expect(dry.stdout).toContain('\n-## [1.1.0] - 2026-02-01\n');
    expect(dry.stdout).toContain('\n+## [1.1.0] - 2026-02-01 [YANKED]\n');
    expect(await readFile(file, 'utf8')).toBe(HEAD + RELEASES);
    expect(await changelogEvents()).toEqual([]);
  });

  it('incident close annotates it (impact recorded); a second run changes no byte; audited once', async () => {
    const closed = await sandbox.cli(['incident', 'close', id, '--resolution', 'rolled back']);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).toContain(`annotated for incident #${id} (### Fixed)`);
    const once = await readFile(file, 'utf8');
    expect(once).toMatch(
      new RegExp(`^${esc(HEAD)}## \\[Unreleased\\]\n\n### Fixed\n\n- Rolled back 1\\.1\\.0 → 1\\.0\\.0 \\(incident #${id}\\): deploy of 1\\.1\\.0 failed at health[^\n]*\n\n## \\[1\\.1\\.0\\] - 2026-02-01 \\[YANKED\\]\n\nYanked: rolled back to 1\\.0\\.0 \\(incident #${id}\\): deploy of 1\\.1\\.0 failed at health[^\n]*\n\n### Added\n\n- New checkout\n\n${esc(RELEASES.slice(RELEASES.indexOf('## [1.0.0]')))}$`),
    );
    const again = await sandbox.cli(['incident', 'changelog', id, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ incidentId: Number(id), changed: false, section: 'Fixed', diff: '' });
    expect(await readFile(file, 'utf8')).toBe(once);
    expect((await changelogEvents()).map((e) => e.data)).toEqual([{ incidentId: Number(id), path: file, section: 'Fixed', yanked: ['1.1.0'] }]);
    // Written through a temp file and a rename: no temp file is left beside it.
    expect((await readdir(sandbox.root)).filter((name) => name.includes('CHANGELOG'))).toEqual(['CHANGELOG.md']);
  });
});

const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

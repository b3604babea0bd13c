import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVersion } from '../../util/semver.js';
import { buildDrillArtifact, drillVersionOf, failingMigrationPath } from './drill-release.js';
import { isProductionEnvironment, permitDrill } from './drill-policy.js';
import type { EnvironmentConfig } from '../../config/config-schema.js';

const env = (production?: boolean) => ({ ...(production === undefined ? {} : { production }) }) as EnvironmentConfig;

describe('drill releases and the production rule', () => {
  it('derives a SemVer drill version from the running one', () => {
    expect(drillVersionOf('1.4.0', 3)).toBe('1.4.0-drill.3');
    expect(drillVersionOf('1.4.0-rc.1+b7', 2)).toBe('1.4.0-rc.1.drill.2');
    expect(parseVersion(drillVersionOf('2.0.0+sha.abc', 1))).toBe('2.0.0-drill.1');
  });

  it('places the failing migration in each SQL tool layout; code-based tools are refused', () => {
    const m = (tool: string) => ({ tool, dir: 'db/migrations', apply: ['x'], env: {}, timeoutMs: 1000, allowBreaking: false }) as never;
    expect(failingMigrationPath(m('prisma'))).toBe(join('db/migrations', '99991231235959_rewind_drill_failure', 'migration.sql'));
    expect(failingMigrationPath(m('golang-migrate'))).toBe(join('db/migrations', '99991231235959_rewind_drill_failure.up.sql'));
    expect(failingMigrationPath(m('flyway'))).toBe(join('db/migrations', 'V99991231235959__rewind_drill_failure.sql'));
    expect(() => failingMigrationPath(m('knex'))).toThrow(expect.objectContaining({ code: 'REWIND_E_DRILL_UNSUPPORTED' }));
    expect(() => failingMigrationPath(undefined)).toThrow(expect.objectContaining({ code: 'REWIND_E_DRILL_NOT_READY' }));
  });

  it('builds the drill artifact as a copy plus the marker and the migration, leaving the stored copy alone', async () => {
    const stored = mkdtempSync(join(tmpdir(), 'rewind-stored-'));
    try {
      mkdirSync(join(stored, 'prisma', 'migrations'), { recursive: true });
      writeFileSync(join(stored, 'server.js'), 'ok');
      const artifact = await buildDrillArtifact(stored, { failure: 'migration', of: '1.0.0', version: '1.0.0-drill.1' }, join('prisma', 'migrations', 'x', 'migration.sql'));
      expect(JSON.parse(readFileSync(join(artifact.dir, 'rewind-drill.json'), 'utf8'))).toEqual({ drill: true, failure: 'migration', of: '1.0.0', version: '1.0.0-drill.1' });
      expect(readFileSync(join(artifact.dir, 'prisma', 'migrations', 'x', 'migration.sql'), 'utf8')).toContain('SELECT rewind_drill_injected_failure();');
      expect(readFileSync(join(artifact.dir, 'server.js'), 'utf8')).toBe('ok');
      expect(existsSync(join(stored, 'rewind-drill.json'))).toBe(false);
      await artifact.dispose();
      expect(existsSync(artifact.dir)).toBe(false);
    } finally {
      rmSync(stored, { recursive: true, force: true });
    }
  });

  it('production: the key, else the name; refused unless --force with a reason', () => {
    expect(isProductionEnvironment('production', env())).toBe(true);
    expect(isProductionEnvironment('production', env(false))).toBe(false);
    expect(isProductionEnvironment('live', env(true))).toBe(true);
    expect(isProductionEnvironment('staging', env())).toBe(false);
    expect(permitDrill('staging', env(), {})).toBeNull();
    expect(() => permitDrill('production', env(), {})).toThrow(expect.objectContaining({ code: 'REWIND_E_DRILL_PRODUCTION' }));
    expect(() => permitDrill('production', env(), { force: true, reason: '  ' })).toThrow(expect.objectContaining({ code: 'REWIND_E_USAGE' }));
    expect(permitDrill('production', env(), { force: true, reason: 'launch rehearsal' })).toBe('launch rehearsal');
  });
});

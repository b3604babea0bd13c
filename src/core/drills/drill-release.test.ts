import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

  it('builds the drill artifact from a stored tarball: unpacked under its release root (real tar), executable bits and links kept, the tarball untouched', async () => {
    const work = mkdtempSync(join(tmpdir(), 'rewind-stored-tgz-'));
    try {
      const app = join(work, 'app-1.0.0');
      mkdirSync(join(app, 'bin'), { recursive: true });
      writeFileSync(join(app, 'server.js'), 'ok');
      writeFileSync(join(app, 'bin', 'start'), '#!/bin/sh\n');
      chmodSync(join(app, 'bin', 'start'), 0o755);
      symlinkSync('server.js', join(app, 'main.js'));
      const tarball = join(work, 'app-1.0.0.tar.gz');
      const tar = spawnSync('tar', ['-czf', tarball, '-C', work, 'app-1.0.0'], { encoding: 'utf8' });
      expect(tar.status, tar.stderr).toBe(0);
      const before = readFileSync(tarball);
      const artifact = await buildDrillArtifact(tarball, { failure: 'health', of: '1.0.0', version: '1.0.0-drill.2' });
      // The archive's single top-level folder is the release root, as when a deploy unpacks it.
      expect(readdirSync(artifact.dir).sort()).toEqual(['bin', 'main.js', 'rewind-drill.json', 'server.js']);
      expect(readFileSync(join(artifact.dir, 'server.js'), 'utf8')).toBe('ok');
      expect(statSync(join(artifact.dir, 'bin', 'start')).mode & 0o111).not.toBe(0);
      expect(readlinkSync(join(artifact.dir, 'main.js'))).toBe('server.js');
      expect(JSON.parse(readFileSync(join(artifact.dir, 'rewind-drill.json'), 'utf8'))).toMatchObject({ failure: 'health', version: '1.0.0-drill.2' });
      expect(readFileSync(tarball).equals(before)).toBe(true);
      await artifact.dispose();
      expect(existsSync(artifact.dir)).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses a stored tarball that breaks the artifact rules, leaving no temporary directory', async () => {
    const work = mkdtempSync(join(tmpdir(), 'rewind-stored-bad-'));
    try {
      writeFileSync(join(work, 'x'), 'x');
      const tarball = join(work, 'bad.tar.gz');
      // An entry that climbs out of the release root.
      const tar = spawnSync('tar', ['-czf', tarball, '-C', work, '--transform', 's,^x$,../escape,', 'x'], { encoding: 'utf8' });
      expect(tar.status, tar.stderr).toBe(0);
      const temps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('rewind-drill-')).sort();
      const before = temps();
      await expect(buildDrillArtifact(tarball, { failure: 'health', of: '1.0.0', version: '1.0.0-drill.3' })).rejects.toMatchObject({ code: 'REWIND_E_ARTIFACT_UNSAFE' });
      expect(temps()).toEqual(before);
    } finally {
      rmSync(work, { recursive: true, force: true });
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

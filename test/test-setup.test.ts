import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script (it runs before the build), no type declarations
import { findProgram, installCommands, missingMessage, planSetup, PROGRAMS, SERVICES, startMessage } from '../scripts/test-setup.mjs';

/*
 * The set-up `npm test` runs first (scripts/test-setup.mjs). Its decisions are tested on given facts,
 * so nothing is uninstalled or stopped here; its refusal is tested for real, as a user who may not
 * install, with a PATH that lacks the programs in /usr/sbin.
 */

const REPO = join(import.meta.dirname, '..');
const SCRIPT = join(REPO, 'scripts', 'test-setup.mjs');

type Requirement = { program: string; pkg: string; why: string };
interface Facts {
  found: (program: string) => boolean;
  answering: Record<string, boolean>;
  root: boolean;
  apt: boolean;
  debian: boolean;
  path?: string;
}

const everything: Facts = { found: () => true, answering: { PostgreSQL: true, MariaDB: true }, root: true, apt: true, debian: true };
const without = (...programs: string[]): Facts => ({ ...everything, found: (program) => !programs.includes(program) });

describe('the test set-up decides from what it finds', () => {
  it('does nothing when every program is there and both databases answer', () => {
    const plan = planSetup(everything);
    expect(plan).toMatchObject({ missing: [], packages: [], toStart: [], canInstall: true });
    expect(installCommands(plan.packages)).toEqual([]); // not even apt-get update
  });

  it('installs the Debian packages of the missing programs, each once, as argv arrays', () => {
    const plan = planSetup(without('nginx', 'haproxy', '/usr/bin/prometheus', 'mariadb-dump', 'mariadb-admin', `/usr/lib/postgresql/15/bin/initdb`));
    expect(plan.missing.map((m: Requirement) => m.program)).toEqual(['/usr/lib/postgresql/15/bin/initdb', 'mariadb-dump', 'mariadb-admin', 'nginx', 'haproxy', '/usr/bin/prometheus']);
    expect(plan.packages).toEqual(['haproxy', 'mariadb-client', 'nginx', 'postgresql-15', 'prometheus']);
    expect(installCommands(plan.packages)).toEqual([
      ['apt-get', 'update', '-qq'],
      ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'haproxy', 'mariadb-client', 'nginx', 'postgresql-15', 'prometheus'],
    ]);
  });

  it('starts a database that does not answer, and needs its server and starter only then', () => {
    const noServer = without('/usr/sbin/mariadbd', 'pg_ctlcluster');
    // Both answer (a server elsewhere, or already running): nothing to start, nothing to install.
    expect(planSetup(noServer)).toMatchObject({ packages: [], toStart: [] });
    const down = planSetup({ ...noServer, answering: { PostgreSQL: false, MariaDB: false } });
    expect(down.toStart.map((s: { name: string }) => s.name)).toEqual(['PostgreSQL', 'MariaDB']);
    expect(down.packages).toEqual(['mariadb-server', 'postgresql-common']);
    const [postgres, mariadb] = SERVICES as { start: (version: string) => string[] }[];
    expect(postgres!.start('15')).toEqual(['pg_ctlcluster', '--skip-systemctl-redirect', '15', 'main', 'start']);
    expect(mariadb!.start('15')).toEqual(['start-stop-daemon', '--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd']);
  });

  it('installs only as root with apt-get on Debian; otherwise says what is missing and how to install it', () => {
    expect(planSetup(without('nginx')).canInstall).toBe(true);
    for (const [facts, reason] of [
      [{ ...without('nginx', 'zstd'), root: false }, 'this is not root'],
      [{ ...without('nginx', 'zstd'), apt: false }, 'apt-get is not on PATH'],
      [{ ...without('nginx', 'zstd'), debian: false }, 'this is not a Debian machine'],
    ] as const) {
      const plan = planSetup(facts);
      expect(plan.canInstall).toBe(false);
      const message = missingMessage(plan, facts);
      expect(message).toContain('  zstd  (Debian package zstd; compressed database backups)');
      expect(message).toContain('  nginx  (Debian package nginx; the nginx traffic router (blue-green, canary))');
      expect(message).toContain(`Not installed automatically: ${reason}.`);
      expect(message).toContain('  apt-get update && apt-get install -y --no-install-recommends nginx zstd');
    }
    // As root, after apt-get installed the packages, a program still not found is not a matter of rights.
    const stillMissing = { ...without('nginx'), path: '/usr/bin:/bin' };
    expect(missingMessage(planSetup(stillMissing), stillMissing, true)).toBe(
      [
        'npm test: the tests need programs this machine does not have:',
        '  nginx  (Debian package nginx; the nginx traffic router (blue-green, canary))',
        'Still not found after apt-get install nginx: a bare name must be on PATH (/usr/bin:/bin).',
      ].join('\n'),
    );
    expect(startMessage(SERVICES[1], ['start-stop-daemon', '--start'])).toBe(
      'npm test: MariaDB does not answer on 127.0.0.1:3306; the tests need it (user root without a password over 127.0.0.1, database test). Start it as root:\n  start-stop-daemon --start',
    );
  });

  it('looks a bare name up on PATH and a path at its place, and wants an executable file', () => {
    expect(findProgram('node', process.env.PATH)).toBe(true);
    expect(findProgram('node', '/nonexistent')).toBe(false);
    expect(findProgram(process.execPath, '')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'rewind-test-setup-'));
    try {
      writeFileSync(join(dir, 'plain'), 'not a program', { mode: 0o644 });
      mkdirSync(join(dir, 'folder'));
      expect([findProgram(join(dir, 'plain'), ''), findProgram('plain', dir), findProgram('folder', dir)]).toEqual([false, false, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Every program the tests need is known to this machine's set-up, with its package.
    for (const { program } of PROGRAMS as Requirement[]) expect([program, findProgram(program, process.env.PATH)]).toEqual([program, true]);
  });
});

describe('the test set-up as npm test runs it', () => {
  // As nobody, so that it could not install or start anything even if this machine lacked something.
  const asNobody = (path: string) =>
    spawnSync('/usr/bin/setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, SCRIPT], { encoding: 'utf8', timeout: 60_000, env: { PATH: path, HOME: '/nonexistent' } });

  it("passes on this machine, where everything is installed and both databases take the tests' connections", () => {
    const result = asNobody('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect([result.status, result.stderr]).toEqual([0, '']);
  });

  it('as a user who may not install, with programs missing: lists them with the command, exits 1, installs nothing', () => {
    // Without /usr/sbin on PATH, nginx, haproxy, runuser and dockerd are not found.
    const result = asNobody('/usr/local/bin:/usr/bin:/bin');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('npm test: the tests need programs this machine does not have:');
    expect(result.stderr).toContain('  nginx  (Debian package nginx;');
    expect(result.stderr).toContain('  haproxy  (Debian package haproxy;');
    expect(result.stderr).toContain('  runuser  (Debian package util-linux;');
    expect(result.stderr).toContain('  dockerd  (Debian package docker.io;');
    expect(result.stderr).toContain('Not installed automatically: this is not root.');
    expect(result.stderr).toMatch(/\n {2}apt-get update && apt-get install -y --no-install-recommends docker.io haproxy nginx util-linux\n/);
    expect(result.stderr).not.toContain('installing');
  });

  it('is what the README tells to run and what CI runs, once, after npm ci', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe('node scripts/test-setup.mjs && npm run build && vitest run');
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readme).toMatch(/\nnpm test +# /);
    const ci = readFileSync(join(REPO, '.ci', 'run'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(ci.slice(-2)).toEqual(['npm ci --no-audit --no-fund', 'npm test']);
    expect(ci.join('\n')).not.toMatch(/apt-get|pg_ctlcluster|mariadbd/); // one place installs and starts: the set-up
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleasesTarget } from '../src/adapters/targets/releases/releases-target.js';
import { main } from '../src/cli/rewind-cli.js';
import { sampleConfigYaml } from '../src/demo/sample-artifacts.js';
import { ERROR_REGISTRY, type ErrorCode } from '../src/errors/error-registry.js';
import { succeeded } from '../src/ports/outcome.js';
import type { Runtime } from '../src/ports/runtime.js';
import { craftTarball } from './support/craft-tarball.js';

// One set of rules for every artifact shape (a directory or a .tgz): regular files, directories,
// and symlinks that resolve inside the release. Anything else is refused with
// REWIND_E_ARTIFACT_UNSAFE naming the entry, at `release register` (nothing reaches the ledger)
// and again at prepare (nothing reaches releases/), and a FIFO never makes either hang.

const ENV = 'staging';
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const UNSAFE: ErrorCode = 'REWIND_E_ARTIFACT_UNSAFE';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): PassThrough & { text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

const cliEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, REWIND_ACTOR: 'tester@artifact-rules' });

/** The real binary, stdin not a terminal; killed (and the test failed) if it hangs. */
function spawnCli(argv: string[]): Promise<Result & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, killed });
    });
  });
}

function expectRefused(result: Result, code: ErrorCode, ...mentions: string[]): void {
  expect(result.code, result.stderr).toBe(ERROR_REGISTRY[code].exitCode);
  expect(result.stderr).toContain(`error ${code}: `);
  expect(result.stderr).toContain(`hint: ${ERROR_REGISTRY[code].hint}`);
  for (const mention of mentions) expect(result.stderr).toContain(mention);
}

/** prepare never asks the runtime anything. */
const idleRuntime: Runtime = {
  type: 'idle',
  supportsZeroDowntimeReload: false,
  describeActivate: () => ({ summary: 'nothing', commands: [], effects: [] }),
  activate: async () => succeeded('nothing'),
  stop: async () => succeeded('nothing'),
  close: async () => {},
};

/** How GNU tar marked the sparse file in a tarball (read from the raw headers), or null. */
function sparseEntryIn(file: string): string | null {
  const tar = gunzipSync(readFileSync(file));
  const pax = /GNU\.sparse\.name=[^\n]*/.exec(tar.toString('latin1'));
  if (pax) return pax[0];
  for (let offset = 0; offset + 512 <= tar.length; offset += 512) {
    const name = tar.subarray(offset, offset + 100).toString('latin1').replace(/\0.*$/s, '');
    if (String.fromCharCode(tar[offset + 156]!) === 'S') return `S ${name}`;
  }
  return null;
}

const sha256File = async (file: string) => `sha256:${createHash('sha256').update(await readFile(file)).digest('hex')}`;

describe('artifact rules: one set for directories and tarballs, at register and at prepare', () => {
  let root: string;
  let config: string;
  let ledgerFile: string;
  let outside: string;
  let srv: string;
  let target: ReleasesTarget;
  const servers: Server[] = [];
  let serial = 0;

  const run = async (...argv: string[]): Promise<Result> => {
    const stdout = capture();
    const stderr = capture();
    const code = await main([...argv, '--config', config], { stdout, stderr, env: cliEnv() });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  /** Every ledger table, row by row. */
  function ledgerDump(): Record<string, unknown[]> {
    const db = new Database(ledgerFile, { fileMustExist: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
    } finally {
      db.close();
    }
  }

  /** Every path under the target directory (releases, staging leftovers, links), symlinks not followed. */
  const srvListing = (dir = srv, prefix = ''): string[] => {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const rel = `${prefix}${entry.name}`;
      return entry.isDirectory() ? [`${rel}/`, ...srvListing(join(dir, entry.name), `${rel}/`)] : [rel];
    });
  };

  /** Runs `attempt` and asserts the ledger and the target directory are the same afterwards. */
  async function unchangedBy<T>(attempt: () => Promise<T>): Promise<T> {
    const before = { ledger: ledgerDump(), srv: srvListing() };
    const result = await attempt();
    expect({ ledger: ledgerDump(), srv: srvListing() }).toEqual(before);
    return result;
  }

  /** A fresh sample app directory (server.js, lib/util.js) to add one entry to. */
  const appDir = async (name: string): Promise<string> => {
    const dir = join(root, 'artifacts', `${name}-${++serial}`);
    await mkdir(join(dir, 'lib'), { recursive: true });
    await writeFile(join(dir, 'server.js'), 'console.log("app");\n');
    await writeFile(join(dir, 'lib', 'util.js'), 'module.exports = 1;\n');
    return dir;
  };

  const nextVersion = () => `1.0.${++serial}`;

  /** `release register` must refuse `artifact` naming each of `mentions`, and change nothing. */
  const expectRegisterRefused = async (artifact: string, ...mentions: string[]) => {
    const version = nextVersion();
    const result = await unchangedBy(() => run('release', 'register', ENV, version, '--artifact', artifact));
    expectRefused(result, UNSAFE, `artifact ${artifact} holds what a release may not: `, ...mentions);
    expect((ledgerDump().releases as { version: string }[]).map((r) => r.version)).not.toContain(version);
  };

  /** prepare must refuse it too (the artifact may have changed since it was registered), and leave releases/ as it was. */
  const expectPrepareRefused = async (artifact: string, digest: string, ...mentions: string[]) => {
    const before = srvListing();
    const outcome = await target.prepare({ version: nextVersion(), artifact, digest });
    expect(outcome).toMatchObject({ status: 'failed', code: UNSAFE });
    for (const mention of mentions) expect(outcome.message).toContain(mention);
    expect(srvListing()).toEqual(before);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-artifact-rules-'));
    config = join(root, 'rewind.yaml');
    ledgerFile = join(root, 'rewind.db');
    srv = join(root, 'srv');
    await writeFile(config, sampleConfigYaml({ root, env: ENV, port: 9, appName: 'rw-artifact-rules' }));
    outside = join(root, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'not part of any release\n');
    target = new ReleasesTarget(srv, idleRuntime);
    // Opens the ledger (and proves the CLI works) with a listing that changes nothing.
    const listed = await run('release', 'list', ENV);
    expect(listed.code, listed.stderr).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await rm(root, { recursive: true, force: true });
  });

  describe('a directory artifact', () => {
    it.each([
      ['a relative symlink to a directory outside the release', '../../outside', 'evil: a symlink to ../../outside, which leads outside the release'],
      ['a symlink to /etc/shadow', '/etc/shadow', 'evil: a symlink to /etc/shadow: an absolute target'],
      ['a ../.. symlink', '../..', 'evil: a symlink to ../.., which leads outside the release'],
    ])('%s: refused at register and at prepare, nothing copied', async (_what, linkTarget, problem) => {
      const dir = await appDir('escaping');
      await symlink(linkTarget, join(dir, 'evil'));
      await expectRegisterRefused(dir, problem);
      await expectPrepareRefused(dir, 'sha256:whatever-it-was-registered-with', problem);
    });

    it('an absolute symlink, even one that points into the artifact itself', async () => {
      const dir = await appDir('absolute');
      await symlink(join(dir, 'lib'), join(dir, 'libs'));
      await expectRegisterRefused(dir, `libs: a symlink to ${join(dir, 'lib')}: an absolute target`);
    });

    it('a symlink that escapes through another, in-tree symlink (s -> ., evil -> s/../outside)', async () => {
      const dir = await appDir('through');
      await symlink('.', join(dir, 's'));
      await symlink('s/../outside', join(dir, 'evil'));
      await expectRegisterRefused(dir, 'evil: a symlink to s/../outside, which leads outside the release');
    });

    it('in-tree symlinks (to a file, to a folder, up to the root) register and unpack verbatim', async () => {
      const dir = await appDir('in-tree');
      await symlink('lib/util.js', join(dir, 'current.js'));
      await symlink('lib', join(dir, 'libs'));
      await symlink('..', join(dir, 'lib', 'root'));
      await symlink('../server.js', join(dir, 'lib', 'server.js'));
      const version = nextVersion();
      const registered = await run('release', 'register', ENV, version, '--artifact', dir, '--json');
      expect(registered.code, registered.stderr).toBe(0);
      const { release } = JSON.parse(registered.stdout) as { release: { digest: string } };
      const outcome = await target.prepare({ version, artifact: dir, digest: release.digest });
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded', detail: { reused: false } });
      const installed = join(srv, 'releases', version);
      expect(await readlink(join(installed, 'current.js'))).toBe('lib/util.js');
      expect(await readlink(join(installed, 'libs'))).toBe('lib');
      expect(await readlink(join(installed, 'lib', 'root'))).toBe('..');
      expect(await readFile(join(installed, 'libs', 'server.js'), 'utf8')).toBe('console.log("app");\n');
    });

    it('a FIFO: refused at register and at prepare without hanging (it is never opened)', { timeout: 20_000 }, async () => {
      const dir = await appDir('fifo');
      execFileSync('mkfifo', [join(dir, 'lib', 'pipe')]);
      await expectRegisterRefused(dir, 'lib/pipe: a FIFO (named pipe)');
      await expectPrepareRefused(dir, 'sha256:whatever', 'lib/pipe: a FIFO (named pipe)');
    });

    it('a FIFO added after registration: `rewind deploy` (the real binary) stops in preflight (exit 6, cause REWIND_E_ARTIFACT_UNSAFE) without hanging, nothing unpacked', { timeout: 40_000 }, async () => {
      const dir = await appDir('fifo-later');
      const version = nextVersion();
      const registered = await run('release', 'register', ENV, version, '--artifact', dir, '--ci', 'passed', '--json');
      expect(registered.code, registered.stderr).toBe(0);
      // In rewind's stored copy, which a deploy unpacks, and in the build folder it falls back to.
      const { stored } = JSON.parse(registered.stdout) as { stored: string };
      execFileSync('mkfifo', [join(stored, 'queue')]);
      execFileSync('mkfifo', [join(dir, 'queue')]);
      const before = srvListing();
      const result = await spawnCli(['deploy', ENV, version, '--config', config]);
      expect(result.killed).toBe(false);
      // A deploy that stops before anything changed exits 6 and names the step's own code as the cause.
      expectRefused(result, 'REWIND_E_PREFLIGHT_FAILED', 'at prepare (cause REWIND_E_ARTIFACT_UNSAFE)', `artifact ${stored} holds what a release may not: queue: a FIFO (named pipe)`, `artifact ${dir} holds what a release may not: queue: a FIFO (named pipe)`);
      expect(srvListing()).toEqual(before);
      expect(before.filter((path) => path.startsWith(`releases/${version}`) || path.includes('.tmp-'))).toEqual([]);
      expect(() => lstatSync(join(srv, 'current'))).toThrow();
      const ledger = ledgerDump();
      expect((ledger.releases as { version: string; state: string }[]).find((r) => r.version === version)?.state).toBe('registered');
      expect(ledger.environments).toEqual([expect.objectContaining({ name: ENV, current_version: null })]);
      expect(ledger.locks).toEqual([]);
    });

    it('a Unix socket: refused naming it (not an internal ENXIO error)', async () => {
      const dir = await appDir('socket');
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(join(dir, 'app.sock'), resolve));
      await expectRegisterRefused(dir, 'app.sock: a Unix socket');
      await expectPrepareRefused(dir, 'sha256:whatever', 'app.sock: a Unix socket');
    });

    it('a character device: refused naming it (not copied as an empty file)', async (context) => {
      const dir = await appDir('device');
      try {
        execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3'], { stdio: 'pipe' });
      } catch (error) {
        context.skip(`mknod is refused here (needs root or CAP_MKNOD): ${(error as Error).message}`);
      }
      await expectRegisterRefused(dir, 'null: a character device');
      await expectPrepareRefused(dir, 'sha256:whatever', 'null: a character device');
    });

    it(`its own ${'.rewind-release.json'} (the name of rewind's marker): refused`, async () => {
      const dir = await appDir('marker');
      await writeFile(join(dir, '.rewind-release.json'), '{"version":"9.9.9","digest":"sha256:forged"}\n');
      await expectRegisterRefused(dir, '.rewind-release.json: .rewind-release.json is reserved');
    });

    it('lists every refused entry, not only the first', async () => {
      const dir = await appDir('several');
      await symlink('/etc/passwd', join(dir, 'a'));
      execFileSync('mkfifo', [join(dir, 'lib', 'b')]);
      await expectRegisterRefused(dir, 'a: a symlink to /etc/passwd', 'lib/b: a FIFO');
    });
  });

  describe('a tarball', () => {
    /** A sparse file as `truncate -s 10M` plus some bytes at an offset, packed by GNU tar with -S. */
    const sparseTarball = async (format: 'gnu' | 'posix') => {
      const base = join(root, 'artifacts', `sparse-${format}-${++serial}`);
      await mkdir(join(base, 'pkg'), { recursive: true });
      await writeFile(join(base, 'pkg', 'server.js'), 'console.log("sparse");\n');
      await writeFile(join(base, 'pkg', 'data.bin'), '');
      await truncate(join(base, 'pkg', 'data.bin'), 10 * 1024 * 1024);
      execFileSync('dd', ['of=' + join(base, 'pkg', 'data.bin'), 'bs=1', 'seek=5000000', 'conv=notrunc', 'status=none'], { input: 'hello at an offset' });
      const file = `${base}.tgz`;
      execFileSync('tar', [`--format=${format}`, '-czSf', file, '-C', base, 'pkg']);
      return file;
    };

    it.each(['gnu', 'posix'] as const)('GNU sparse (real `tar --format=%s -czSf`): refused at register and at prepare, nothing unpacked', async (format) => {
      const file = await sparseTarball(format);
      // GNU tar really wrote a sparse entry: a header of type S, or PAX GNU.sparse.* keys.
      expect(sparseEntryIn(file)).toBe(format === 'gnu' ? 'S pkg/data.bin' : 'GNU.sparse.name=pkg/data.bin');
      await expectRegisterRefused(file, 'pkg/data.bin: a GNU sparse file');
      // Registered by a rewind without the rules, the digest would have been the bytes' sha256: prepare refuses anyway.
      await expectPrepareRefused(file, await sha256File(file), 'pkg/data.bin: a GNU sparse file');
    });

    it.each([
      ['a symlink escaping the release', [{ path: 'package/evil', type: 'SymbolicLink', linkpath: '../../etc' }], 'package/evil: a symlink to ../../etc, which leads outside the release'],
      ['an absolute symlink', [{ path: 'package/shadow', type: 'SymbolicLink', linkpath: '/etc/shadow' }], 'package/shadow: a symlink to /etc/shadow: an absolute target'],
      ['a hard link to outside', [{ path: 'package/shadow', type: 'Link', linkpath: '../../etc/shadow' }], 'package/shadow: a hard link to ../../etc/shadow, outside the artifact'],
      ['an absolute hard link', [{ path: 'package/passwd', type: 'Link', linkpath: '/etc/passwd' }], 'package/passwd: a hard link to /etc/passwd, outside the artifact'],
      ['a hard link to nothing in the archive', [{ path: 'package/ghost', type: 'Link', linkpath: 'package/none.txt' }], 'package/ghost: a hard link to package/none.txt, which is not a regular file earlier'],
      ['a FIFO', [{ path: 'package/pipe', type: 'FIFO' }], 'package/pipe: a FIFO (named pipe)'],
      ['a character device', [{ path: 'package/null', type: 'CharacterDevice' }], 'package/null: a character device'],
      ['a block device', [{ path: 'package/sda', type: 'BlockDevice' }], 'package/sda: a block device'],
      ['an unknown entry type', [{ path: 'package/label', type: 'TapeVolumeHeader' }], 'package/label: a tar entry of type TapeVolumeHeader, which rewind does not install'],
      ['a path that climbs out', [{ path: 'package/../../escape.txt', type: 'File', content: 'x' }], "package/../../escape.txt: a path with a '..' component"],
      ['an absolute path', [{ path: '/tmp/rewind-abs.txt', type: 'File', content: 'x' }], '/tmp/rewind-abs.txt: an absolute path'],
      ['a file written through a symlink', [{ path: 'package/out', type: 'SymbolicLink', linkpath: 'lib' }, { path: 'package/out/x.js', type: 'File', content: 'x' }], 'package/out/x.js: lies inside package/out, which is a symlink'],
    ])('%s: refused at register and at prepare, nothing unpacked', async (_what, bad, problem) => {
      const file = join(root, 'artifacts', `crafted-${++serial}.tgz`);
      await mkdir(join(root, 'artifacts'), { recursive: true });
      await craftTarball(file, [
        { path: 'package/', type: 'Directory' },
        { path: 'package/server.js', type: 'File', content: 'console.log("crafted");\n' },
        { path: 'package/lib/', type: 'Directory' },
        ...bad,
      ]);
      await expectRegisterRefused(file, problem);
      await expectPrepareRefused(file, await sha256File(file), problem);
    });

    it('in-tree symlinks and an in-tree hard link from real GNU tar register and unpack faithfully', async () => {
      const base = join(root, 'artifacts', `gnu-links-${++serial}`);
      await mkdir(join(base, 'package', 'lib'), { recursive: true });
      await writeFile(join(base, 'package', 'server.js'), 'console.log("links");\n');
      await writeFile(join(base, 'package', 'lib', 'util.js'), 'module.exports = 2;\n');
      await link(join(base, 'package', 'lib', 'util.js'), join(base, 'package', 'util-copy.js'));
      await symlink('lib', join(base, 'package', 'libs'));
      await symlink('../server.js', join(base, 'package', 'lib', 'server.js'));
      const file = `${base}.tgz`;
      execFileSync('tar', ['-czf', file, '-C', base, 'package']);
      expect(execFileSync('tar', ['-tvzf', file]).toString()).toMatch(/util-copy\.js link to|lib\/util\.js link to/);
      const version = nextVersion();
      const registered = await run('release', 'register', ENV, version, '--artifact', file, '--json');
      expect(registered.code, registered.stderr).toBe(0);
      const { release } = JSON.parse(registered.stdout) as { release: { digest: string } };
      expect(release.digest).toBe(await sha256File(file));
      const outcome = await target.prepare({ version, artifact: file, digest: release.digest });
      expect(outcome, outcome.message).toMatchObject({ status: 'succeeded', detail: { reused: false } });
      const installed = join(srv, 'releases', version);
      expect(await readFile(join(installed, 'util-copy.js'), 'utf8')).toBe('module.exports = 2;\n');
      expect(await readFile(join(installed, 'lib', 'util.js'), 'utf8')).toBe('module.exports = 2;\n');
      expect(await readlink(join(installed, 'libs'))).toBe('lib');
      expect(await readFile(join(installed, 'libs', 'server.js'), 'utf8')).toBe('console.log("links");\n');
      expect(readdirSync(join(srv, 'releases')).filter((name) => name.startsWith('.'))).toEqual([]);
    });
  });
});

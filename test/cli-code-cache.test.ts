import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';

// The `rewind` bin (src/cli/main.ts) runs the CLI bundle with V8's code cache that `npm run build`
// writes (scripts/bundle-cli.mjs). These run the built bin: in the package itself, and in copies of it
// where the cache is damaged, belongs to another build, or is missing, and where it is rewritten.

const ROOT = packageRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const copies: string[] = [];

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the built package (dist/, package.json, examples/ for the warm-up's sample app), node_modules linked. */
function copyPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-code-cache-test-'));
  copies.push(dir);
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function rewind(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { env: { ...process.env, REWIND_DEBUG: '1', ...env }, encoding: 'utf8', timeout: 120_000 });
  const state = /rewind: code cache (\S+): (\w+)/.exec(result.stderr);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, cacheFile: state?.[1], cache: state?.[2] };
}

const caches = (root: string) => readdirSync(join(root, 'dist', 'cli')).filter((f) => /^rewind\.cjs\.[0-9a-f]{16}\.cache$/.test(f));
const buildOf = (root: string) => /^\/\/ rewind-bundle ([0-9a-f]{16})\n/.exec(readFileSync(join(root, 'dist', 'cli', 'rewind.cjs'), 'utf8'))?.[1];

describe('the rewind bin and its code cache', () => {
  it('runs with the cache the build wrote for this bundle, which V8 accepts', () => {
    const build = buildOf(ROOT);
    expect(build).toMatch(/^[0-9a-f]{16}$/);
    expect(caches(ROOT)).toEqual([`rewind.cjs.${build}.cache`]);
    const run = rewind(ROOT, ['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${VERSION}\n`, cache: 'accepted', cacheFile: join(ROOT, 'dist', 'cli', `rewind.cjs.${build}.cache`) });
  });

  it('REWIND_CODE_CACHE=off compiles from source, with the same result', () => {
    const run = rewind(ROOT, ['--version'], { REWIND_CODE_CACHE: 'off' });
    expect(run).toMatchObject({ code: 0, stdout: `${VERSION}\n`, cache: 'off' });
  });

  it('another REWIND_CODE_CACHE value is a usage error that runs nothing', () => {
    const run = rewind(ROOT, ['--version'], { REWIND_CODE_CACHE: '0' });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('error REWIND_E_USAGE: REWIND_CODE_CACHE must be off or write, not "0"');
  });

  it('a damaged cache is refused by V8 and the command runs from source, unchanged', () => {
    const root = copyPackage();
    const [file] = caches(root);
    const path = join(root, 'dist', 'cli', file!);
    const good = readFileSync(path);
    for (const damaged of [Buffer.from('not a V8 code cache at all'), good.subarray(0, good.length >> 1)]) {
      writeFileSync(path, damaged);
      const run = rewind(root, ['rollback', '--help']);
      expect(run.cache).toBe('rejected');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('rewind rollback [<env>]');
    }
  });

  it('uses no cache written for another build of the bundle, and REWIND_CODE_CACHE=write makes this one', () => {
    const root = copyPackage();
    const bundle = join(root, 'dist', 'cli', 'rewind.cjs');
    // Another build: the same code under another build line, so V8 (which checks only the source's
    // length) would take the old cache; main.ts must not offer it.
    const [old] = caches(root);
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace(/^\/\/ rewind-bundle [0-9a-f]{16}/, '// rewind-bundle 0123456789abcdef'));
    expect(rewind(root, ['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n`, cache: 'absent' });

    const warmUpDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('rewind-code-cache-') && !f.startsWith('rewind-code-cache-test-'));
    const before = warmUpDirs();
    // HOME and XDG_CACHE_HOME of their own: the warm-up must write nothing there either.
    const home = join(root, 'home');
    mkdirSync(home);
    const write = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js')], { env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), REWIND_CODE_CACHE: 'write' }, encoding: 'utf8', timeout: 120_000 });
    expect(write.stderr).toBe('');
    expect(readdirSync(home)).toEqual([]);
    expect(write.status).toBe(0);
    expect(write.stdout).toMatch(/^rewind: wrote .*rewind\.cjs\.0123456789abcdef\.cache \(\d+ bytes, after \d+ warm-up commands\)\n$/);
    // The other build's cache is gone, this one's is there and taken.
    expect(caches(root)).toEqual(['rewind.cjs.0123456789abcdef.cache']);
    expect(caches(root)).not.toContain(old);
    expect(rewind(root, ['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n`, cache: 'accepted' });
    // The warm-up ran in a temp dir of its own and left nothing behind.
    expect(warmUpDirs()).toEqual(before);
  });

  it('a cache it cannot write is an error naming the file, and leaves no partial file behind', () => {
    const root = copyPackage();
    const cli = join(root, 'dist', 'cli');
    const [file] = caches(root);
    rmSync(join(cli, file!));
    // A directory where the cache goes: the rename onto it fails (as root, a read-only mode would not).
    mkdirSync(join(cli, file!));
    writeFileSync(join(cli, file!, 'keep'), '');
    const write = spawnSync(process.execPath, [join(cli, 'main.js')], { env: { ...process.env, REWIND_CODE_CACHE: 'write' }, encoding: 'utf8', timeout: 120_000 });
    expect(write.status).toBe(1);
    expect(write.stderr).toContain(`rewind: cannot write the code cache ${join(cli, file!)}:`);
    expect(readdirSync(cli).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(rewind(root, ['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n`, cache: 'absent' });
  });

  it('a tree built by tsc alone (no bundle) runs its modules directly, and has no cache to write', () => {
    const root = copyPackage();
    rmSync(join(root, 'dist', 'cli', 'rewind.cjs'));
    const run = rewind(root, ['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(run.cache).toBeUndefined();
    const write = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js')], { env: { ...process.env, REWIND_CODE_CACHE: 'write' }, encoding: 'utf8' });
    expect(write.status).toBe(1);
    expect(write.stderr).toContain('rewind.cjs to write a code cache for (run `npm run build`)');
  });
});

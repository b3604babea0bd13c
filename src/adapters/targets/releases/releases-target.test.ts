import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readlink, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactDigest, inspectArtifact } from '../../../artifacts/artifact-digest.js';
import { scanDirectory } from '../../../artifacts/directory-scan.js';
import { treeDigest } from '../../../artifacts/tree-digest.js';
import { craftTarball } from '../../../../test/support/craft-tarball.js';
import { succeeded } from '../../../ports/outcome.js';
import type { Runtime, RuntimeContext } from '../../../ports/runtime.js';
import { ReleasesTarget } from './releases-target.js';

/** Records what the target asked of its runtime; real runtimes have their own tests against real processes. */
class RecordingRuntime implements Runtime {
  readonly type = 'recording';
  readonly supportsZeroDowntimeReload = true;
  readonly calls: RuntimeContext[] = [];
  describeActivate() {
    return { summary: 'record', commands: [], effects: [] };
  }
  async activate(context: RuntimeContext) {
    this.calls.push(context);
    return succeeded('recorded');
  }
  async stop() {
    return succeeded('stopped');
  }
  async close() {}
}

describe('ReleasesTarget', () => {
  let root: string;
  let runtime: RecordingRuntime;
  let target: ReleasesTarget;

  const makeDirArtifact = async (name: string, content: string) => {
    const dir = join(root, 'artifacts', name);
    await mkdir(join(dir, 'lib'), { recursive: true });
    await writeFile(join(dir, 'server.js'), content);
    await writeFile(join(dir, 'lib', 'util.js'), 'module.exports = 1;\n');
    return dir;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-target-'));
    runtime = new RecordingRuntime();
    target = new ReleasesTarget(join(root, 'srv'), runtime);
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('unpacks a directory artifact after checking its digest, and reuses it the second time', async () => {
    const artifact = await makeDirArtifact('a', 'console.log(1)\n');
    const digest = await artifactDigest(artifact);
    const first = await target.prepare({ version: '1.0.0', artifact, digest });
    expect(first).toMatchObject({ status: 'succeeded', detail: { reused: false } });
    expect(await readFile(join(root, 'srv', 'releases', '1.0.0', 'lib', 'util.js'), 'utf8')).toBe('module.exports = 1;\n');
    const second = await target.prepare({ version: '1.0.0', artifact, digest });
    expect(second).toMatchObject({ status: 'succeeded', detail: { reused: true } });
    expect(await target.installedVersions()).toEqual(['1.0.0']);
  });

  it('unpacks an npm-pack style tarball (single top-level folder) as the release root', async () => {
    const source = await makeDirArtifact('package', 'console.log(2)\n');
    const file = join(root, 'artifacts', 'app-1.0.0.tgz');
    await tar.c({ gzip: true, file, cwd: join(root, 'artifacts') }, ['package']);
    const digest = await artifactDigest(file);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await target.prepare({ version: '1.0.0', artifact: file, digest })).status).toBe('succeeded');
    expect(await readFile(join(root, 'srv', 'releases', '1.0.0', 'server.js'), 'utf8')).toBe('console.log(2)\n');
    expect(existsSync(join(source, 'server.js'))).toBe(true);
  });

  it('refuses an artifact whose bytes changed since registration, and leaves nothing behind', async () => {
    const artifact = await makeDirArtifact('b', 'console.log(3)\n');
    const digest = await artifactDigest(artifact);
    await writeFile(join(artifact, 'server.js'), 'console.log(4)\n'); // one byte differs
    const outcome = await target.prepare({ version: '1.0.0', artifact, digest });
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_DIGEST_MISMATCH' });
    expect(outcome.message).toContain(digest);
    expect(existsSync(join(root, 'srv', 'releases'))).toBe(false);
  });

  it('gives the same digest for the same tree whatever the order files were written in', async () => {
    const a = await makeDirArtifact('c1', 'same\n');
    const b = join(root, 'artifacts', 'c2');
    await mkdir(join(b, 'lib'), { recursive: true });
    await writeFile(join(b, 'lib', 'util.js'), 'module.exports = 1;\n');
    await writeFile(join(b, 'server.js'), 'same\n');
    expect(await artifactDigest(a)).toBe(await artifactDigest(b));
  });

  it('switches `current` by rename, is idempotent, and hands the runtime the stable path', async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      const artifact = await makeDirArtifact(version, `// ${version}\n`);
      await target.prepare({ version, artifact, digest: await artifactDigest(artifact) });
    }
    expect(await target.activate('1.0.0')).toMatchObject({ status: 'succeeded', detail: { switched: true } });
    expect(await readlink(join(root, 'srv', 'current'))).toBe(join('releases', '1.0.0'));
    expect(await target.activate('1.0.0')).toMatchObject({ status: 'succeeded', detail: { switched: false } });
    expect(await target.activate('1.1.0')).toMatchObject({ detail: { switched: true } });
    expect(await target.activeVersion()).toBe('1.1.0');
    expect(runtime.calls.map((c) => [c.version, c.currentDir])).toEqual([
      ['1.0.0', join(root, 'srv', 'current')],
      ['1.0.0', join(root, 'srv', 'current')],
      ['1.1.0', join(root, 'srv', 'current')],
    ]);
    // No temporary links are left next to `current`.
    expect((await readdir(join(root, 'srv'))).sort()).toEqual(['current', 'releases']);
  });

  it('refuses to activate a version that was never unpacked, and to remove the active one', async () => {
    expect(await target.activate('9.9.9')).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_NOT_FOUND' });
    expect(runtime.calls).toHaveLength(0);
    const artifact = await makeDirArtifact('d', 'x\n');
    await target.prepare({ version: '1.0.0', artifact, digest: await artifactDigest(artifact) });
    await target.activate('1.0.0');
    await expect(target.remove('1.0.0')).rejects.toThrow(/active release/);
    expect(await target.installedVersions()).toEqual(['1.0.0']);
  });
  it('records the tree digest it verified in the marker (the marker itself left out), and reports it when reusing', async () => {
    const artifact = await makeDirArtifact('m', 'console.log(5)\n');
    const digest = await artifactDigest(artifact);
    const first = await target.prepare({ version: '1.0.0', artifact, digest });
    const dir = join(root, 'srv', 'releases', '1.0.0');
    const marker = JSON.parse(await readFile(join(dir, '.rewind-release.json'), 'utf8')) as Record<string, unknown>;
    const installed = treeDigest((await scanDirectory(dir, { skipMarker: true })).entries);
    // No stored copy in this release: it was unpacked from the registered path.
    expect(marker).toEqual({ version: '1.0.0', digest, artifact, from: artifact, tree: installed });
    expect(installed).toBe((await inspectArtifact(artifact)).tree);
    expect(first.detail).toMatchObject({ reused: false, tree: installed });
    expect(await target.prepare({ version: '1.0.0', artifact, digest })).toMatchObject({ status: 'succeeded', detail: { reused: true, tree: installed } });
  });

  it('reuses a release unpacked by an older rewind (a marker without a tree digest), saying it was not re-verified', async () => {
    const artifact = await makeDirArtifact('old', 'console.log(6)\n');
    const digest = await artifactDigest(artifact);
    const dir = join(root, 'srv', 'releases', '1.0.0');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '.rewind-release.json'), JSON.stringify({ version: '1.0.0', digest, artifact }) + '\n');
    const outcome = await target.prepare({ version: '1.0.0', artifact, digest });
    expect(outcome).toMatchObject({ status: 'succeeded', detail: { reused: true, tree: null } });
    expect(outcome.message).toContain('not re-verified');
  });

  it('unpacks a tarball faithfully: implicit folders, entries out of order, a path given twice (the last wins), modes', async () => {
    const file = join(root, 'artifacts', 'crafted.tgz');
    await mkdir(join(root, 'artifacts'), { recursive: true });
    await craftTarball(file, [
      { path: 'z/last.txt', type: 'File', content: 'z\n' },
      { path: 'bin/run', type: 'File', content: '#!/bin/sh\n', mode: 0o755 },
      { path: 'a.txt', type: 'File', content: 'first\n' },
      { path: 'empty/', type: 'Directory' },
      { path: 'a.txt', type: 'File', content: 'second, longer\n' },
      { path: 'bin/again', type: 'Link', linkpath: 'bin/run' },
      { path: 'link', type: 'SymbolicLink', linkpath: 'z/last.txt' },
    ]);
    const digest = await artifactDigest(file);
    const outcome = await target.prepare({ version: '1.0.0', artifact: file, digest });
    expect(outcome, outcome.message).toMatchObject({ status: 'succeeded' });
    const dir = join(root, 'srv', 'releases', '1.0.0');
    expect((await readdir(dir)).sort()).toEqual(['.rewind-release.json', 'a.txt', 'bin', 'empty', 'link', 'z']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('second, longer\n');
    expect((await stat(join(dir, 'bin', 'run'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'bin', 'again'))).ino).toBe((await stat(join(dir, 'bin', 'run'))).ino);
    expect((await stat(join(dir, 'a.txt'))).mode & 0o777).toBe(0o644);
    expect(await readlink(join(dir, 'link'))).toBe('z/last.txt');
  });

  it('a truncated tarball is unreadable (REWIND_E_ARTIFACT_UNPACK) at inspection and at prepare, never a hang, nothing left', { timeout: 20_000 }, async () => {
    const source = await makeDirArtifact('package', 'x'.repeat(200_000));
    await writeFile(join(source, 'noise.bin'), randomBytes(300_000)); // incompressible: the cut lands inside it
    const file = join(root, 'artifacts', 'cut.tgz');
    await tar.c({ gzip: true, file, cwd: join(root, 'artifacts') }, ['package']);
    await truncate(file, Math.floor((await stat(file)).size / 2));
    await expect(inspectArtifact(file)).rejects.toMatchObject({ code: 'REWIND_E_ARTIFACT_UNPACK', message: expect.stringContaining(`cannot read artifact ${file}: `) });
    const outcome = await target.prepare({ version: '1.0.0', artifact: file, digest: 'sha256:whatever' });
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_UNPACK' });
    expect(existsSync(join(root, 'srv', 'releases'))).toBe(false);
  });
});

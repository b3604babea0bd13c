import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactDigest, inspectArtifact } from './artifact-digest.js';
import { ArtifactTree, RELEASE_MARKER, type EntryKind } from './artifact-tree.js';
import { comparePaths, treeDigest } from './tree-digest.js';
import { verifyUnpackedTree } from './unpacked-tree.js';

type Spec = [path: string, kind: EntryKind | 'hardlink', target?: string];

/** The violations an artifact holding `specs` (in that order) gets. */
function violations(specs: Spec[], stripSingleRoot = false): string[] {
  const tree = new ArtifactTree();
  for (const [path, kind, target] of specs) tree.add(path, kind, { target });
  return tree.finish({ stripSingleRoot }).violations.map((v) => `${v.entry}: ${v.problem}`);
}

describe('artifact rules (ArtifactTree)', () => {
  it('allows files, directories, and symlinks that resolve inside the release, dangling ones included', () => {
    expect(
      violations([
        ['server.js', 'file'],
        ['lib', 'directory'],
        ['lib/util.js', 'file'],
        ['current.js', 'symlink', 'lib/util.js'],
        ['libs', 'symlink', 'lib'],
        ['lib/up', 'symlink', '..'],
        ['lib/back.js', 'symlink', '../server.js'],
        ['self', 'symlink', '.'],
        ['via-link', 'symlink', 'libs/../server.js'],
        ['later', 'symlink', 'not-yet/there'],
      ]),
    ).toEqual([]);
  });

  it.each([
    ['absolute', [['evil', 'symlink', '/etc/shadow']], 'evil: a symlink to /etc/shadow: an absolute target'],
    ['one level up from the root', [['evil', 'symlink', '..']], 'evil: a symlink to .., which leads outside the release'],
    ['../.. from a subfolder', [['lib', 'directory'], ['lib/evil', 'symlink', '../..']], 'lib/evil: a symlink to ../.., which leads outside the release'],
    ['down then further up', [['lib', 'directory'], ['evil', 'symlink', 'lib/../../etc']], 'evil: a symlink to lib/../../etc, which leads outside'],
    // A lexical check says `s/../etc` is `etc`; through `s -> .` it is the release's parent.
    ['through an in-tree symlink', [['s', 'symlink', '.'], ['evil', 'symlink', 's/../etc']], 'evil: a symlink to s/../etc, which leads outside'],
    ['through an escaping symlink', [['out', 'symlink', '../x'], ['evil', 'symlink', 'out/y']], 'evil: a symlink to out/y, which leads outside'],
    ['a loop', [['a', 'symlink', 'b'], ['b', 'symlink', 'a/x']], 'a: a symlink to b, which never resolves (a symlink loop)'],
    ['empty target', [['evil', 'symlink', '']], 'evil: a symlink with an empty target'],
  ] as [string, Spec[], string][])('refuses a symlink that escapes: %s', (_name, specs, expected) => {
    expect(violations(specs).join('\n')).toContain(expected);
  });

  it('measures escapes from the release root, which is the single top-level folder of a tarball', () => {
    const specs: Spec[] = [
      ['package', 'directory'],
      ['package/server.js', 'file'],
      ['package/evil', 'symlink', '../package/server.js'],
      ['package/ok', 'symlink', 'server.js'],
    ];
    expect(violations(specs, false)).toEqual([]);
    expect(violations(specs, true)).toEqual(['package/evil: a symlink to ../package/server.js, which leads outside the release']);
  });

  it('refuses paths that climb or are absolute, writing inside a symlink, and a path that changes kind', () => {
    expect(
      violations([
        ['/etc/cron.d/x', 'file'],
        ['package/../../x', 'file'],
        ['lib', 'symlink', 'real'],
        ['real', 'directory'],
        ['lib/inside.js', 'file'],
        ['same', 'file'],
        ['same', 'directory'],
      ]),
    ).toEqual([
      '/etc/cron.d/x: an absolute path (/etc/cron.d/x)',
      "package/../../x: a path with a '..' component",
      'lib/inside.js: lies inside lib, which is a symlink, not a directory',
      'same: appears twice, as a file and as a directory',
    ]);
  });

  it('allows a hard link only to a regular file that came earlier in the artifact', () => {
    expect(
      violations([
        ['a.txt', 'file'],
        ['dir', 'directory'],
        ['ok', 'hardlink', 'a.txt'],
        ['outside', 'hardlink', '../../etc/shadow'],
        ['absolute', 'hardlink', '/etc/shadow'],
        ['to-dir', 'hardlink', 'dir'],
        ['to-later', 'hardlink', 'z.txt'],
        ['z.txt', 'file'],
      ]),
    ).toEqual([
      'outside: a hard link to ../../etc/shadow, outside the artifact',
      'absolute: a hard link to /etc/shadow, outside the artifact',
      'to-dir: a hard link to dir, which is not a regular file earlier in the artifact',
      'to-later: a hard link to z.txt, which is not a regular file earlier in the artifact',
    ]);
  });

  it(`reserves ${RELEASE_MARKER} at the release root (rewind writes its marker there)`, () => {
    expect(violations([[RELEASE_MARKER, 'file']])).toEqual([`${RELEASE_MARKER}: ${RELEASE_MARKER} is reserved for the marker rewind writes into each unpacked release`]);
    expect(violations([['lib', 'directory'], [`lib/${RELEASE_MARKER}`, 'file']])).toEqual([]);
  });
});

describe('tree digest', () => {
  it('orders entries as a sorted depth-first walk (a folder before its contents), whatever order they came in', () => {
    expect(['a/b', 'a-b', 'a', 'Z', 'a/b/c'].sort(comparePaths)).toEqual(['Z', 'a', 'a/b', 'a/b/c', 'a-b']);
    const file = { kind: 'file' as const, executable: false, size: 1, sha256: 'ab' };
    const one = treeDigest([{ path: 'a', kind: 'directory' }, { path: 'a/x', ...file }, { path: 'l', kind: 'symlink', target: 'a/x' }]);
    const two = treeDigest([{ path: 'l', kind: 'symlink', target: 'a/x' }, { path: 'a/x', ...file }, { path: 'a', kind: 'directory' }]);
    expect(one).toBe(two);
    expect(one).toMatch(/^tree-sha256:[0-9a-f]{64}$/);
    expect(treeDigest([{ path: 'a', kind: 'directory' }, { path: 'a/x', ...file, executable: true }, { path: 'l', kind: 'symlink', target: 'a/x' }])).not.toBe(one);
  });
});

describe('a directory digest and verifying an unpacked tree', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rewind-tree-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  const makeTree = async (dir: string) => {
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'a-b'), 'dash\n');
    await writeFile(join(dir, 'a', 'b', 'deep.txt'), 'deep\n');
    await writeFile(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(dir, 'run.sh'), 0o755);
    await chmod(join(dir, 'a-b'), 0o644);
    await chmod(join(dir, 'a', 'b', 'deep.txt'), 0o644);
    await writeFile(join(dir, 'Z.txt'), 'upper\n');
    await chmod(join(dir, 'Z.txt'), 0o644);
    await symlink('a/b/deep.txt', join(dir, 'link'));
    await symlink('a', join(dir, 'dirlink'));
  };

  it('keeps the digest format directory artifacts were registered with (the value the first release computed)', async () => {
    const dir = join(root, 'artifact');
    await makeTree(dir);
    // Computed by the digest function as of c67add6, before the rules; ledgers hold such values.
    expect(await artifactDigest(dir)).toBe('sha256:c76861d41cc0fbd448d1c7a760dfd92dc60015bd2fa350b465b61812490446dc');
  });

  it('verifies an unpacked tree against the artifact, ignoring the marker, and names what differs', async () => {
    const artifact = join(root, 'artifact');
    await makeTree(artifact);
    const inspection = await inspectArtifact(artifact);
    const copy = join(root, 'copy');
    await makeTree(copy);
    await writeFile(join(copy, RELEASE_MARKER), '{"version":"1.0.0"}\n');
    const expected = { tree: inspection.tree, directoryDigest: inspection.digest };
    expect(await verifyUnpackedTree(copy, expected, artifact)).toBe(inspection.tree);

    const tampered: [string, () => Promise<void>, () => Promise<void>][] = [
      ['one byte of a file', () => writeFile(join(copy, 'a', 'b', 'deep.txt'), 'Deep\n'), () => writeFile(join(copy, 'a', 'b', 'deep.txt'), 'deep\n')],
      ['an executable bit', () => chmod(join(copy, 'Z.txt'), 0o755), () => chmod(join(copy, 'Z.txt'), 0o644)],
      ['an extra empty folder', () => mkdir(join(copy, 'extra')), () => rm(join(copy, 'extra'), { recursive: true })],
      ['a missing file', () => rm(join(copy, 'a-b')), async () => { await writeFile(join(copy, 'a-b'), 'dash\n'); await chmod(join(copy, 'a-b'), 0o644); }],
    ];
    for (const [what, tamper, restore] of tampered) {
      await tamper();
      await expect(verifyUnpackedTree(copy, expected, artifact), what).rejects.toMatchObject({
        code: 'REWIND_E_ARTIFACT_DIGEST_MISMATCH',
        message: expect.stringContaining(`the unpacked copy of ${artifact} in ${copy} has tree digest tree-sha256:`),
      });
      await restore();
      expect(await verifyUnpackedTree(copy, expected, artifact)).toBe(inspection.tree);
    }
    // The directory digest is checked as well as the tree.
    await expect(verifyUnpackedTree(copy, { ...expected, directoryDigest: 'sha256:00' }, artifact)).rejects.toMatchObject({ message: expect.stringContaining('not the registered sha256:00') });
  });
});

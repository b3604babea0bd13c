import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleasesTarget } from '../src/adapters/targets/releases/releases-target.js';
import { artifactDigest } from '../src/artifacts/artifact-digest.js';
import type { PlanStep } from '../src/core/plan.js';
import { diskSpace } from '../src/core/steps/preflight-steps.js';
import type { StepContext } from '../src/core/steps/step-context.js';
import { succeeded } from '../src/ports/outcome.js';
import type { Runtime } from '../src/ports/runtime.js';

// Unpacking onto a full disk reports the truth: the first real cause (ENOSPC) and the path being
// written, with REWIND_E_ARTIFACT_UNPACK, and leaves no staging directory behind, every time (the
// cleanup used to race the extraction still writing: `ENOTEMPTY: rmdir .tmp-…` about 1 in 16).
// The free-space preflight measures the file system releases/ is on, which here is its own 2 MB
// tmpfs mount while the deploy root sits on the big disk.

const root = mkdtempSync(join(tmpdir(), 'rewind-full-disk-'));
const srv = join(root, 'srv');
const releases = join(srv, 'releases');
mkdirSync(releases, { recursive: true });
let mountRefused: string | false = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'rewind-test-tmpfs', releases], { stdio: 'pipe' });
} catch (error) {
  // Only a privileged user may mount; without a small file system there is no full disk to test on.
  mountRefused = `mount -t tmpfs was refused (needs root or CAP_SYS_ADMIN): ${(error as Error).message.split('\n')[0]}`;
}

afterAll(() => {
  if (!mountRefused) execFileSync('umount', [releases]);
  rmSync(root, { recursive: true, force: true });
});

const idleRuntime: Runtime = {
  type: 'idle',
  supportsZeroDowntimeReload: false,
  describeActivate: () => ({ summary: 'nothing', commands: [], effects: [] }),
  activate: async () => succeeded('nothing'),
  stop: async () => succeeded('nothing'),
  close: async () => {},
};

const freeOn = (path: string) => {
  const info = statfsSync(path);
  return info.bavail * info.bsize;
};

describe.skipIf(mountRefused)(`a releases/ folder on its own, full file system (${mountRefused || 'a 2 MB tmpfs'})`, () => {
  const target = new ReleasesTarget(srv, idleRuntime);
  let directory: string;
  let tarball: string;
  let emptyFree: number;

  beforeAll(async () => {
    // 3 MB of random bytes (gzip cannot shrink them) in 6 files, more than the 2 MB mount holds.
    directory = join(root, 'artifacts', 'big');
    await mkdir(join(directory, 'lib'), { recursive: true });
    await writeFile(join(directory, 'server.js'), 'console.log("big");\n');
    for (let i = 0; i < 6; i++) await writeFile(join(directory, 'lib', `blob-${i}.bin`), randomBytes(512 * 1024));
    tarball = join(root, 'artifacts', 'big.tgz');
    execFileSync('tar', ['-czf', tarball, '-C', join(root, 'artifacts'), 'big']);
    emptyFree = freeOn(releases);
    expect(emptyFree).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(freeOn(srv)).toBeGreaterThan(emptyFree);
  });

  it('freeSpace measures the releases/ mount, not the deploy root, and says which path it measured', async () => {
    const free = await target.freeSpace();
    expect(free).toEqual({ bytes: emptyFree, path: releases });
    // With no releases/ yet, the nearest existing ancestor is measured.
    const fresh = new ReleasesTarget(join(root, 'not-yet', 'srv'), idleRuntime);
    expect(await fresh.freeSpace()).toEqual({ bytes: freeOn(root), path: root });
  });

  it('the disk-space preflight fails naming the path it measured and what it found there', async () => {
    const step = { id: 'disk-space', params: { artifact: directory, minFreeMb: 0 } } as unknown as PlanStep;
    const outcome = await diskSpace(step, { target } as unknown as StepContext);
    expect(outcome).toMatchObject({ status: 'failed', code: 'REWIND_E_PREFLIGHT_FAILED', detail: { path: releases, neededMb: 4 } });
    expect(outcome.message).toBe(`only ${Math.floor(emptyFree / 1048576)} MB free on ${releases}, 4 MB needed`);
  });

  for (const shape of ['directory', 'tarball'] as const) {
    it(`unpacking a ${shape} that does not fit fails with ENOSPC and the path, and leaves nothing, 20 times out of 20`, { timeout: 120_000 }, async () => {
      const artifact = shape === 'directory' ? directory : tarball;
      const digest = await artifactDigest(artifact);
      for (let attempt = 1; attempt <= 20; attempt++) {
        const outcome = await target.prepare({ version: '1.0.0', artifact, digest });
        expect(outcome, `attempt ${attempt}: ${outcome.message}`).toMatchObject({ status: 'failed', code: 'REWIND_E_ARTIFACT_UNPACK', detail: { cause: 'ENOSPC' } });
        expect(outcome.message).toMatch(new RegExp(`^cannot unpack ${artifact}: ENOSPC: no space left on device, write '${releases}/\\.tmp-1\\.0\\.0-[0-9a-f]{8}/lib/blob-\\d\\.bin'$`));
        expect(readdirSync(releases), `attempt ${attempt}`).toEqual([]);
      }
      // Every byte written was removed again.
      expect(freeOn(releases)).toBe(emptyFree);
      expect(existsSync(join(releases, '1.0.0'))).toBe(false);
    });
  }
});
